"""The Apprise channel, sending through Apprise's generic JSON and form
services to a local receiver."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from fireline.comms.channels.apprise_channel import AppriseChannel
from fireline.comms.channels.base import Message, SendContext, TargetInvalid
from tests.comms.conftest import Receiver

PAGE = Message(
    title="[HIGH] Checkout is down",
    text="5xx above 20% for 5 minutes",
    urgency="high",
    link="https://fl.example/alerts/groups/3",
    idempotency_key="notification-9",
)
channel = AppriseChannel()
# Apprise imports a module the standard library deprecates; nothing to act on here.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def test_sends_through_apprise_json(receiver: Receiver, local: SendContext) -> None:
    target = channel.validate_target({"url": f"json://127.0.0.1:{receiver.port}/hook"})
    delivery = channel.send(PAGE, target, local)
    assert delivery.ok, delivery.detail
    assert receiver.last.path == "/hook"
    body = json.loads(receiver.last.body)
    assert (body["title"], body["message"], body["type"]) == (PAGE.title, PAGE.text, "failure")


def test_sends_through_apprise_form(receiver: Receiver, local: SendContext) -> None:
    message = Message(title="fireline test message", text="Hello", urgency="low", kind="test")
    assert channel.send(message, {"url": f"form://127.0.0.1:{receiver.port}/f"}, local).ok
    form = parse_qs(receiver.last.body.decode())
    assert form["title"] == ["fireline test message"]
    assert form["type"] == ["info"]


@pytest.mark.parametrize("status", [503, 400])
def test_a_failure_is_transient_with_apprise_s_reason(
    receiver: Receiver, local: SendContext, status: int
) -> None:
    receiver.reply(status, "nope")
    delivery = channel.send(
        PAGE, {"url": f"json://user:hunter2pw@127.0.0.1:{receiver.port}/hook"}, local
    )
    assert (delivery.ok, delivery.transient) == (False, True)
    assert delivery.detail.startswith("JSON failed: ")
    assert str(status) in delivery.detail
    assert "hunter2pw" not in delivery.detail


def test_a_closed_port_is_transient(closed_port: int, local: SendContext) -> None:
    delivery = channel.send(PAGE, {"url": f"json://127.0.0.1:{closed_port}/hook"}, local)
    assert (delivery.ok, delivery.transient) == (False, True)
    assert delivery.detail != "JSON failed: no reason given"


def test_a_private_host_is_refused_unless_allowed(receiver: Receiver) -> None:
    delivery = channel.send(
        PAGE, {"url": f"json://127.0.0.1:{receiver.port}/hook"}, SendContext("k")
    )
    assert delivery.permanent
    assert "refused to connect to 127.0.0.1" in delivery.detail
    assert receiver.requests == []
    delivery = channel.send(PAGE, {"url": "json://169.254.169.254/latest"}, SendContext("k"))
    assert delivery.permanent


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "url"),
        ({"url": "nosuchservice://token/chat"}, "url"),
        ({"url": "just text"}, "url"),
        ({"url": "tgram://"}, "url"),
        ({"url": "json://example.com", "extra": 1}, "extra"),
    ],
)
def test_invalid_targets_name_the_field(target: dict[str, object], field: str) -> None:
    with pytest.raises(TargetInvalid) as invalid:
        channel.validate_target(target)
    assert invalid.value.field == field


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("json://user:hunter2pw@hooks.example.com/path/s3cr3t-path", ["hunter2pw", "s3cr3t-path"]),
        ("tgram://123456789:AAbbCCddEEffGGhhIIjjKKll/12315544", ["AAbbCCddEEffGGhhIIjjKKll"]),
        (
            "pover://userkeyuserkeyuserkey@apptokenapptokenapptoken",
            ["userkeyuserkey", "apptokenapptoken"],
        ),
    ],
)
def test_redact_hides_passwords_and_tokens(url: str, hidden: list[str]) -> None:
    channel.validate_target({"url": url})
    shown = channel.redact({"url": url})["url"]
    assert shown.split("://")[0] == url.split("://")[0]
    for secret in hidden:
        assert secret not in shown
