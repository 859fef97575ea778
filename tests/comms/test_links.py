"""Signed one-click links: round trip, tampering, expiry, malformed tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from fireline.comms.links import (
    ActionClaim,
    BadSignature,
    LinkError,
    LinkExpired,
    MalformedLink,
    sign_action,
    verify_action,
)

KEY = b"k" * 32
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=24)


def test_round_trip() -> None:
    token = sign_action(KEY, "ack", "page", 42, 7, LATER)
    assert all(c.isalnum() or c in "-_." for c in token)  # safe in a URL path as is
    assert verify_action(KEY, token, NOW) == ActionClaim("ack", "page", 42, 7, LATER)


def test_expiry_is_checked_against_the_given_now() -> None:
    token = sign_action(KEY, "resolve", "page", 1, 2, LATER)
    assert verify_action(KEY, token, LATER - timedelta(seconds=1)).action == "resolve"
    with pytest.raises(LinkExpired) as expired:
        verify_action(KEY, token, LATER)
    assert expired.value.expired_at == LATER
    assert "expired" in str(expired.value)


def test_a_changed_payload_or_signature_or_key_is_refused() -> None:
    token = sign_action(KEY, "ack", "page", 42, 7, LATER)
    payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        f"v1|resolve|page|42|7|{int(LATER.timestamp())}".encode()
    ).rstrip(b"=")
    with pytest.raises(BadSignature):
        verify_action(KEY, f"{forged.decode()}.{signature}", NOW)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(BadSignature):
        verify_action(KEY, f"{payload}.{flipped}", NOW)
    with pytest.raises(BadSignature):
        verify_action(b"another key", token, NOW)


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b.c", "!!!.???", "YWJj.", ".YWJj", "x" * 600, "YWJj.YWJj"]
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises((MalformedLink, BadSignature)) as refused:
        verify_action(KEY, token, NOW)
    assert isinstance(refused.value, LinkError)
    assert str(refused.value)  # a message fit to show on the page


def test_a_well_signed_but_malformed_payload_is_malformed() -> None:
    payload = b"v9|ack|page|x|7|0"
    mac = hmac.new(KEY, b"fireline action link\x00" + payload, hashlib.sha256).digest()

    def enc(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    with pytest.raises(MalformedLink):
        verify_action(KEY, f"{enc(payload)}.{enc(mac)}", NOW)


def test_signing_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        sign_action(b"", "ack", "page", 1, 1, LATER)
    with pytest.raises(ValueError):
        sign_action(KEY, "ack|resolve", "page", 1, 1, LATER)
    with pytest.raises(ValueError):
        sign_action(KEY, "ack", "page", -1, 1, LATER)
    with pytest.raises(ValueError):
        sign_action(KEY, "ack", "page", 1, 1, datetime(2026, 3, 3))
    with pytest.raises(ValueError):
        verify_action(KEY, "x.y", datetime(2026, 3, 3))


def test_link_errors_are_value_errors() -> None:
    assert issubclass(LinkError, ValueError)
