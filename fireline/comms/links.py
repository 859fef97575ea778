"""Signed one-click action links: "acknowledge this page" from an e-mail or a
push message, without a login.

A token names an action on one subject for one person and carries its
expiry; an HMAC-SHA256 over all of it, keyed with the instance's signing
key, makes it unforgeable. Nothing is stored: a token is checked by
recomputing its signature. Pure functions: the caller passes ``now``.

Token: ``<payload>.<signature>``, both base64url without padding; the
payload is ``v1|action|subject|subject_id|user_id|expires_unix``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = "v1"
_CONTEXT = b"fireline action link\x00"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_TOKEN_LENGTH = 512


class LinkError(ValueError):
    """A link that cannot be used; its message is safe to show to whoever opened it."""


class MalformedLink(LinkError):
    def __init__(self) -> None:
        super().__init__("This link is incomplete or damaged. Copy the whole link and try again.")


class BadSignature(LinkError):
    def __init__(self) -> None:
        super().__init__("This link was not issued by this fireline, or it was altered.")


class LinkExpired(LinkError):
    def __init__(self, expired_at: datetime) -> None:
        self.expired_at = expired_at
        super().__init__(
            f"This link expired at {expired_at:%Y-%m-%d %H:%M} UTC. Use the newest message, "
            "or open fireline."
        )


@dataclass(frozen=True)
class ActionClaim:
    action: str  # "ack", "resolve", "verify", …
    subject: str  # what the subject id refers to: "page", "contact_method", …
    subject_id: int
    user_id: int
    expires_at: datetime


def sign_action(
    secret: bytes,
    action: str,
    subject: str,
    subject_id: int,
    user_id: int,
    expires_at: datetime,
) -> str:
    """A URL-safe token for ``action`` on ``subject``/``subject_id`` by
    ``user_id``, valid until ``expires_at`` (whole seconds, rounded down)."""
    if not secret:
        raise ValueError("the signing secret is empty")
    for name, value in (("action", action), ("subject", subject)):
        if not _NAME.fullmatch(value):
            raise ValueError(f"{name} must be a short lower-case name, not {value!r}")
    for name, number in (("subject_id", subject_id), ("user_id", user_id)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    expires = int(expires_at.timestamp())
    payload = f"{VERSION}|{action}|{subject}|{subject_id}|{user_id}|{expires}".encode("ascii")
    return f"{_encode(payload)}.{_encode(_mac(secret, payload))}"


def verify_action(secret: bytes, token: str, now: datetime) -> ActionClaim:
    """The claim ``token`` carries; raises :class:`MalformedLink`,
    :class:`BadSignature` or :class:`LinkExpired`."""
    if not secret:
        raise ValueError("the signing secret is empty")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise MalformedLink()
    encoded_payload, encoded_mac = token.split(".")
    try:
        payload = _decode(encoded_payload)
        signature = _decode(encoded_mac)
    except ValueError:
        raise MalformedLink() from None
    # Check the signature before reading anything in the payload.
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise BadSignature()
    claim = _parse(payload)
    if now >= claim.expires_at:
        raise LinkExpired(claim.expires_at)
    return claim


def _parse(payload: bytes) -> ActionClaim:
    try:
        version, action, subject, subject_id, user_id, expires = payload.decode("ascii").split("|")
        if version != VERSION or not (_NAME.fullmatch(action) and _NAME.fullmatch(subject)):
            raise ValueError(version)
        return ActionClaim(
            action=action,
            subject=subject,
            subject_id=int(subject_id),
            user_id=int(user_id),
            expires_at=datetime.fromtimestamp(int(expires), UTC),
        )
    except (ValueError, OverflowError, OSError):
        raise MalformedLink() from None


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
