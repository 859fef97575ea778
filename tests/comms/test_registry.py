"""The channel registry, the protocol every channel meets, and the log channel."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from fireline.comms import channels
from fireline.comms.channels import log as log_channel
from fireline.comms.channels.base import Channel, Delivery, Message, SendContext

BUILTIN = ["apprise", "email", "log", "ntfy", "slack", "webhook"]


def test_builtin_channels_are_registered() -> None:
    assert set(BUILTIN) <= set(channels.kinds())
    for kind in BUILTIN:
        channel = channels.get(kind)
        assert isinstance(channel, Channel)
        assert channel.kind == kind and channel.label


def test_an_unknown_kind_is_a_lookup_error() -> None:
    with pytest.raises(channels.UnknownChannel):
        channels.get("carrier-pigeon")
    assert issubclass(channels.UnknownChannel, LookupError)


class Pigeon:
    kind = "pigeon"
    label = "Carrier pigeon"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        return {"loft": str(target.get("loft", ""))}

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        return dict(target)

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        return Delivery.sent(f"flown to {target['loft']}")


def test_an_outside_channel_registers_like_a_builtin() -> None:
    pigeon = Pigeon()
    try:
        assert channels.register(pigeon) is pigeon
        assert channels.register(pigeon) is pigeon  # the same instance again: harmless
        assert "pigeon" in channels.kinds()
        assert channels.get("pigeon").send(Message("t", "x"), {"loft": "A"}, SendContext()).ok
        with pytest.raises(ValueError, match="already registered"):
            channels.register(Pigeon())
        other = Pigeon()
        channels.register(other, replace=True)
        assert channels.get("pigeon") is other
    finally:
        channels.unregister("pigeon")
    assert "pigeon" not in channels.kinds()


def test_register_refuses_what_is_not_a_channel() -> None:
    with pytest.raises(TypeError):
        channels.register(object())  # type: ignore[arg-type]
    bad = Pigeon()
    bad.kind = "Has Spaces"
    with pytest.raises(ValueError):
        channels.register(bad)


def test_log_channel_keeps_messages_and_logs_no_links(caplog: pytest.LogCaptureFixture) -> None:
    channel = channels.get("log")
    log_channel.clear()
    message = Message(
        title="[HIGH] Checkout is down",
        text="Ack: https://fl.example/act/SECRET",
        link="https://fl.example/alerts/groups/3",
        ack_url="https://fl.example/act/SECRET",
    )
    with caplog.at_level(logging.INFO, logger="fireline.pages"):
        first = channel.send(
            message, channel.validate_target({"name": "Ana's phone"}), SendContext("k1")
        )
        second = channel.send(message, {}, SendContext("k2"))
    assert first.ok and second.ok and first.provider_id != second.provider_id
    [newest, oldest] = log_channel.recent()
    assert (oldest.name, oldest.delivery_key, oldest.message) == ("Ana's phone", "k1", message)
    assert newest.delivery_key == "k2"
    assert "[HIGH] Checkout is down" in caplog.text
    assert "SECRET" not in caplog.text
    assert log_channel.recent(limit=1) == [newest]
    log_channel.clear()
    assert log_channel.recent() == []


def test_delivery_helpers() -> None:
    assert Delivery.sent().ok
    assert Delivery.retry("x").transient and not Delivery.retry("x").permanent
    assert Delivery.failed("x").permanent
