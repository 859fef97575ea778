"""The Slack channel, with its base URLs pointed at a local receiver."""

from __future__ import annotations

import json

import pytest

from fireline.comms.channels.base import Message, SendContext, TargetInvalid
from fireline.comms.channels.slack import SlackChannel
from fireline.comms.links import sign_action, verify_action
from tests.comms.conftest import Receiver
from tests.comms.test_links import KEY, LATER, NOW

ACK = sign_action(KEY, "ack", "page", 42, 7, LATER)
RESOLVE = sign_action(KEY, "resolve", "page", 42, 7, LATER)
PAGE = Message(
    title="[HIGH] Checkout is down",
    text="5xx above 20% <for> 5 minutes & rising",
    urgency="high",
    link="https://fl.example/alerts/groups/3",
    ack_url=f"https://fl.example/act/{ACK}",
    resolve_url=f"https://fl.example/act/{RESOLVE}",
    idempotency_key="notification-9",
)
TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKl"


@pytest.fixture
def slack(receiver: Receiver) -> SlackChannel:
    return SlackChannel(api_base=f"{receiver.url}/api", webhook_base=f"{receiver.url}/services/")


def test_webhook_message_has_blocks_and_signed_buttons(
    receiver: Receiver, slack: SlackChannel, local: SendContext
) -> None:
    target = slack.validate_target({"webhook_url": f"{receiver.url}/services/T0/B0/xyz"})
    delivery = slack.send(PAGE, target, local)
    assert delivery.ok, delivery.detail
    assert receiver.last.path == "/services/T0/B0/xyz"
    body = json.loads(receiver.last.body)
    assert body["text"] == PAGE.title
    header, section, actions = body["blocks"]
    assert header["text"]["text"] == PAGE.title
    assert section["text"]["text"] == "5xx above 20% &lt;for&gt; 5 minutes &amp; rising"
    ack, resolve, open_ = actions["elements"]
    assert (ack["text"]["text"], ack["url"], ack["style"]) == (
        "Acknowledge",
        PAGE.ack_url,
        "primary",
    )
    assert verify_action(KEY, ack["value"], NOW).action == "ack"
    assert verify_action(KEY, resolve["value"], NOW).action == "resolve"
    assert open_["url"] == PAGE.link and "value" not in open_


def test_a_test_message_has_no_action_buttons(
    receiver: Receiver, slack: SlackChannel, local: SendContext
) -> None:
    message = Message(title="fireline test message", text="Hello", urgency="low", kind="test")
    assert slack.send(message, {"webhook_url": f"{receiver.url}/services/T/B/x"}, local).ok
    assert [b["type"] for b in json.loads(receiver.last.body)["blocks"]] == ["header", "section"]


def test_bot_token_posts_with_chat_post_message(
    receiver: Receiver, slack: SlackChannel, local: SendContext
) -> None:
    receiver.reply(200, json.dumps({"ok": True, "channel": "C0123ABCD", "ts": "1700000000.000100"}))
    delivery = slack.send(PAGE, {"token": TOKEN, "channel": "#oncall"}, local)
    assert delivery.ok, delivery.detail
    assert delivery.provider_id == "C0123ABCD/1700000000.000100"
    assert receiver.last.path == "/api/chat.postMessage"
    assert receiver.last.header("authorization") == f"Bearer {TOKEN}"
    assert json.loads(receiver.last.body)["channel"] == "#oncall"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        ("channel_not_found", False),
        ("invalid_auth", False),
        ("ratelimited", True),
        ("internal_error", True),
    ],
)
def test_api_errors_are_classified(
    receiver: Receiver, slack: SlackChannel, local: SendContext, error: str, transient: bool
) -> None:
    receiver.reply(200, json.dumps({"ok": False, "error": error}))
    delivery = slack.send(PAGE, {"token": TOKEN, "channel": "C0123ABCD"}, local)
    assert not delivery.ok
    assert delivery.transient is transient
    assert delivery.detail == f"Slack: {error}"
    assert TOKEN not in delivery.detail


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [
        (429, "rate_limited", True),
        (500, "rollup_error", True),
        (404, "no_service", False),
        (400, "invalid_payload", False),
    ],
)
def test_webhook_statuses_are_classified(
    receiver: Receiver,
    slack: SlackChannel,
    local: SendContext,
    status: int,
    body: str,
    transient: bool,
) -> None:
    receiver.reply(status, body)
    delivery = slack.send(PAGE, {"webhook_url": f"{receiver.url}/services/T/B/secret"}, local)
    assert (delivery.ok, delivery.transient) == (False, transient)
    assert delivery.detail.endswith(f": {body}")
    assert "secret" not in delivery.detail


def test_a_closed_port_is_transient(closed_port: int, local: SendContext) -> None:
    slack = SlackChannel(api_base=f"http://127.0.0.1:{closed_port}/api")
    assert slack.send(PAGE, {"token": TOKEN, "channel": "C0123ABCD"}, local).transient


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "webhook_url"),
        ({"webhook_url": "https://example.com/services/T/B/x"}, "webhook_url"),
        ({"webhook_url": "https://hooks.slack.com/services/T/B/x", "token": TOKEN}, "webhook_url"),
        ({"token": TOKEN}, "channel"),
        ({"channel": "#oncall"}, "token"),
        ({"token": "not-a-token", "channel": "#oncall"}, "token"),
        ({"token": TOKEN, "channel": "#On Call"}, "channel"),
        ({"token": TOKEN, "channel": "#oncall", "team": "T1"}, "team"),
    ],
)
def test_invalid_targets_name_the_field(target: dict[str, object], field: str) -> None:
    with pytest.raises(TargetInvalid) as invalid:
        SlackChannel().validate_target(target)
    assert invalid.value.field == field


def test_real_slack_targets_validate_and_redact() -> None:
    slack = SlackChannel()
    hook = {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"}
    assert slack.validate_target(hook) == hook
    assert slack.redact(hook) == {"webhook_url": "https://hooks.slack.com/****"}
    bot = slack.validate_target({"token": f" {TOKEN} ", "channel": "C0123ABCD"})
    assert bot == {"token": TOKEN, "channel": "C0123ABCD"}
    assert slack.redact(bot) == {"token": "xoxb-****", "channel": "C0123ABCD"}
