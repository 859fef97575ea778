"""The ntfy channel against a local receiver standing in for an ntfy server."""

from __future__ import annotations

import base64
import json

import pytest

from fireline.comms.channels.base import Message, SendContext, TargetInvalid
from fireline.comms.channels.ntfy import NtfyChannel
from tests.comms.conftest import Receiver

PAGE = Message(
    title="[HIGH] Checkout is down",
    text="5xx above 20% for 5 minutes",
    urgency="high",
    link="https://fl.example/alerts/groups/3",
    ack_url="https://fl.example/act/abc.def",
    resolve_url="https://fl.example/act/ghi.jkl",
    idempotency_key="notification-9",
)
ntfy = NtfyChannel()


def test_posts_to_the_topic_with_headers(receiver: Receiver, local: SendContext) -> None:
    receiver.reply(200, json.dumps({"id": "hwQ2YpKdmg", "event": "message"}))
    target = ntfy.validate_target(
        {"server": f"{receiver.url}/", "topic": "oncall-ana", "token": "tk_abc"}
    )
    delivery = ntfy.send(PAGE, target, local)
    assert delivery.ok, delivery.detail
    assert delivery.provider_id == "hwQ2YpKdmg"
    got = receiver.last
    assert (got.method, got.path) == ("POST", "/oncall-ana")
    assert got.body.decode() == PAGE.text
    assert got.header("title") == PAGE.title
    assert got.header("priority") == "urgent"
    assert got.header("tags") == "rotating_light"
    assert got.header("click") == PAGE.link
    assert got.header("authorization") == "Bearer tk_abc"
    assert json.loads(got.header("actions") or "") == [
        {
            "action": "http",
            "label": "Acknowledge",
            "url": PAGE.ack_url,
            "method": "POST",
            "clear": True,
        },
        {
            "action": "http",
            "label": "Resolve",
            "url": PAGE.resolve_url,
            "method": "POST",
            "clear": True,
        },
    ]


def test_low_urgency_and_non_ascii_titles(receiver: Receiver, local: SendContext) -> None:
    message = Message(title="Disque presque plein — 92 %", text="…", urgency="low")
    assert ntfy.send(message, {"server": receiver.url, "topic": "t"}, local).ok
    got = receiver.last
    assert got.header("priority") == "default"
    assert got.header("tags") == "warning"
    title = got.header("title") or ""
    assert title.startswith("=?UTF-8?B?")
    assert base64.b64decode(title[10:-2]).decode() == message.title
    assert got.header("actions") is None


@pytest.mark.parametrize(
    ("status", "transient"), [(503, True), (429, True), (400, False), (403, False)]
)
def test_statuses_are_classified(
    receiver: Receiver, local: SendContext, status: int, transient: bool
) -> None:
    receiver.reply(status, '{"code":40301,"error":"forbidden"}')
    delivery = ntfy.send(PAGE, {"server": receiver.url, "topic": "secret-topic"}, local)
    assert (delivery.ok, delivery.transient) == (False, transient)
    assert "secret-topic" not in delivery.detail


def test_a_closed_port_is_transient(closed_port: int, local: SendContext) -> None:
    assert ntfy.send(
        PAGE, {"server": f"http://127.0.0.1:{closed_port}", "topic": "t"}, local
    ).transient


def test_the_server_defaults_to_ntfy_sh_and_wants_a_long_topic_there() -> None:
    assert ntfy.validate_target({"topic": "fireline-ana-8f3k2m9q"}) == {
        "server": "https://ntfy.sh",
        "topic": "fireline-ana-8f3k2m9q",
    }
    with pytest.raises(TargetInvalid) as invalid:
        ntfy.validate_target({"topic": "ana"})
    assert invalid.value.field == "topic"


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "topic"),
        ({"server": "https://ntfy.example", "topic": "a/b"}, "topic"),
        ({"server": "ntfy.example", "topic": "t"}, "server"),
        ({"server": "https://ntfy.example", "topic": "t", "token": 5}, "token"),
        ({"server": "https://ntfy.example", "topic": "t", "priority": "max"}, "priority"),
    ],
)
def test_invalid_targets_name_the_field(target: dict[str, object], field: str) -> None:
    with pytest.raises(TargetInvalid) as invalid:
        ntfy.validate_target(target)
    assert invalid.value.field == field


def test_redact_hides_the_topic_and_token() -> None:
    target = {
        "server": "https://ntfy.example/base",
        "topic": "fireline-ana-8f3k2m9q",
        "token": "tk_abcdefghijklmnop",
    }
    assert ntfy.redact(target) == {
        "server": "https://ntfy.example",
        "topic": "fir****",
        "token": "tk_****",
    }
