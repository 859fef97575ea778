"""The webhook channel against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from fireline.comms.channels.base import Message, SendContext, TargetInvalid
from fireline.comms.channels.webhook import WebhookChannel
from tests.comms.conftest import Receiver

SECRET = "s3cret-s3cret-s3cret"
PAGE = Message(
    title="[HIGH] Checkout is down",
    text="Checkout is down.",
    urgency="high",
    link="https://fl.example/alerts/groups/3",
    ack_url="https://fl.example/act/abc",
    resolve_url="https://fl.example/act/def",
    idempotency_key="notification-9",
)
webhook = WebhookChannel()


def test_posts_signed_json_with_the_idempotency_key(receiver: Receiver, local: SendContext) -> None:
    target = webhook.validate_target(
        {"url": f"{receiver.url}/hooks/fireline?team=a", "secret": SECRET}
    )
    delivery = webhook.send(PAGE, target, local)
    assert delivery.ok, delivery.detail
    assert delivery.detail == f"HTTP 200 OK from {receiver.url}"
    got = receiver.last
    assert (got.method, got.path) == ("POST", "/hooks/fireline?team=a")
    assert got.header("content-type") == "application/json"
    assert got.header("idempotency-key") == "delivery-1"
    assert got.header("x-fireline-event") == "page"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.header("x-fireline-signature") == f"sha256={expected}"
    body = json.loads(got.body)
    assert body == {
        "event": "page",
        "idempotency_key": "delivery-1",
        "title": PAGE.title,
        "text": PAGE.text,
        "html": None,
        "urgency": "high",
        "link": PAGE.link,
        "ack_url": PAGE.ack_url,
        "resolve_url": PAGE.resolve_url,
    }


def test_retries_carry_the_same_key_and_signature(receiver: Receiver, local: SendContext) -> None:
    target = {"url": f"{receiver.url}/h", "secret": SECRET}
    receiver.reply(503)
    assert webhook.send(PAGE, target, local).transient
    assert webhook.send(PAGE, target, local).ok
    first, second = receiver.requests
    assert first.body == second.body
    assert first.header("idempotency-key") == second.header("idempotency-key") == "delivery-1"
    assert first.header("x-fireline-signature") == second.header("x-fireline-signature")


def test_without_a_secret_there_is_no_signature(receiver: Receiver, local: SendContext) -> None:
    assert webhook.send(PAGE, {"url": f"{receiver.url}/h"}, local).ok
    assert receiver.last.header("x-fireline-signature") is None


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (500, True),
        (502, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (404, False),
        (410, False),
    ],
)
def test_statuses_are_classified(
    receiver: Receiver, local: SendContext, status: int, transient: bool
) -> None:
    receiver.reply(status, b"the body is not shown: it could echo anything")
    delivery = webhook.send(PAGE, {"url": f"{receiver.url}/secret-path"}, local)
    assert not delivery.ok
    assert delivery.transient is transient
    assert delivery.detail.startswith(f"HTTP {status} ")
    assert "secret-path" not in delivery.detail
    assert "echo" not in delivery.detail


def test_a_closed_port_is_transient(closed_port: int, local: SendContext) -> None:
    delivery = webhook.send(PAGE, {"url": f"http://127.0.0.1:{closed_port}/h"}, local)
    assert (delivery.ok, delivery.transient) == (False, True)
    assert delivery.detail == f"could not connect to http://127.0.0.1:{closed_port}"


def test_a_private_address_is_refused_unless_allowed(receiver: Receiver) -> None:
    delivery = webhook.send(PAGE, {"url": f"{receiver.url}/h"}, SendContext("k"))
    assert delivery.permanent
    assert "refused to connect to 127.0.0.1" in delivery.detail
    assert receiver.requests == []
    assert webhook.send(PAGE, {"url": f"{receiver.url}/h"}, SendContext("k", allow_private=True)).ok


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "example.com/hook"}, "url"),
        ({"url": "https://user:pw@example.com/hook"}, "url"),
        ({"url": "https://exa mple.com/hook"}, "url"),
        ({"url": "https://example.com/hook", "secret": "short"}, "secret"),
        ({"url": "https://example.com/hook", "secret": 12}, "secret"),
        ({"url": "https://example.com/hook", "headers": {}}, "headers"),
        ([], "target"),
    ],
)
def test_invalid_targets_name_the_field(target: object, field: str) -> None:
    with pytest.raises(TargetInvalid) as invalid:
        webhook.validate_target(target)  # type: ignore[arg-type]
    assert invalid.value.field == field


def test_redact_hides_the_secret_and_the_path() -> None:
    target = {"url": "https://hooks.example.com/T0/abcdef?token=xyz", "secret": SECRET}
    assert webhook.redact(target) == {"url": "https://hooks.example.com/****", "secret": "****"}
    assert webhook.redact({"url": "https://hooks.example.com"}) == {
        "url": "https://hooks.example.com"
    }


def test_an_invalid_stored_target_fails_for_good(local: SendContext) -> None:
    delivery = webhook.send(PAGE, {"url": "gopher://x"}, local)
    assert delivery.permanent
    assert delivery.detail.startswith("invalid target: url:")
