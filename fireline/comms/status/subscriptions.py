"""Subscribers of the status page: e-mail with double opt-in and one-click
unsubscribe, and webhooks; each to every component or to some.

Links in mails carry a token: the subscriber's id and an HMAC over it, the
link's purpose and the subscriber's nonce, keyed with the instance's signing
key. Nothing secret is stored, a token cannot be forged or turned from
"confirm" into anything else, and a new nonce voids every link sent before.

Asking to subscribe an address answers the same whether or not it is
subscribed already, so the form cannot tell a stranger who reads the page.
Nor can the form be used to flood someone's inbox: an address gets at most
one confirmation mail every CONFIRM_RESEND_AFTER, however often it is
entered (the public form also limits each client: subscribe_views).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms.channels import get as channel
from fireline.comms.channels.base import TargetInvalid
from fireline.comms.status.models import Component, PublicIncident, Subscriber
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.jobs import queue

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
CONFIRM_JOB = "status.confirm"
_CONTEXT = b"fireline status subscriber\x00"
MAX_COMPONENTS = 200
CONFIRM_RESEND_AFTER = timedelta(minutes=15)


class InvalidLink(ValueError):
    """A subscription link that cannot be used; its message is safe to show."""

    def __init__(self) -> None:
        super().__init__("This link is not valid any more. Subscribe again from the status page.")


def link_token(key: bytes, subscriber: Subscriber, purpose: str) -> str:
    return f"{subscriber.id}.{_mac(key, subscriber.id, subscriber.nonce, purpose)}"


def _mac(key: bytes, subscriber_id: int, nonce: str, purpose: str) -> str:
    message = _CONTEXT + f"{purpose}\x00{subscriber_id}\x00{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:20]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def subscriber_for(session: Session, key: bytes, token: str, purpose: str) -> Subscriber:
    """The subscriber a link names; raises :class:`InvalidLink`."""
    head, _, mac = token.partition(".")
    if not head.isdigit() or not mac or len(token) > 200:
        raise InvalidLink()
    subscriber = session.get(Subscriber, int(head))
    if subscriber is None:
        raise InvalidLink()
    expected = _mac(key, subscriber.id, subscriber.nonce, purpose)
    if not hmac.compare_digest(expected, mac):
        raise InvalidLink()
    return subscriber


def _new_nonce() -> str:
    return secrets.token_hex(16)


def _component_codes(session: Session, codes: Sequence[str]) -> list[str]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if len(wanted) > MAX_COMPONENTS:
        raise InvalidInput(f"at most {MAX_COMPONENTS} components", field="components")
    if not wanted:
        return []
    known = set(session.scalars(select(Component.code).where(Component.code.in_(wanted))))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidInput(f"no component {unknown[0]!r}", field="components")
    return wanted


def subscribe_email(
    session: Session, now: datetime, *, address: str, components: Sequence[str] = ()
) -> Subscriber:
    """Ask ``address`` to confirm. A confirmed subscriber is left as it is
    (nothing is sent: changing what someone receives takes their own link);
    an unconfirmed one gets a fresh confirmation mail, unless one was queued
    less than CONFIRM_RESEND_AFTER ago."""
    try:
        email = channel("email").validate_target({"address": address})["address"]
    except TargetInvalid as exc:
        raise InvalidInput(exc.message, field="email") from None
    codes = _component_codes(session, components)
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.kind == "email", Subscriber.target == email)
    ).first()
    if subscriber is not None and subscriber.confirmed_at is not None:
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(
            kind="email", target=email, component_codes=codes, nonce=_new_nonce(), created_at=now
        )
        session.add(subscriber)
        session.flush()
    else:
        subscriber.component_codes = codes
        sent = subscriber.confirm_sent_at
        if sent is not None and now - sent < CONFIRM_RESEND_AFTER:
            return subscriber
    subscriber.confirm_sent_at = now
    queue.enqueue(session, kind=CONFIRM_JOB, payload={"subscriber_id": subscriber.id}, now=now)
    return subscriber


def subscribe_webhook(
    session: Session, now: datetime, *, url: str, components: Sequence[str] = ()
) -> Subscriber:
    """A webhook is subscribed at once: its owner reads what it receives, and
    every delivery carries the link that ends it."""
    try:
        clean = channel("webhook").validate_target({"url": url})["url"]
    except TargetInvalid as exc:
        raise InvalidInput(exc.message, field="url") from None
    codes = _component_codes(session, components)
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.kind == "webhook", Subscriber.target == clean)
    ).first()
    if subscriber is None:
        subscriber = Subscriber(
            kind="webhook",
            target=clean,
            component_codes=codes,
            nonce=_new_nonce(),
            confirmed_at=now,
            created_at=now,
        )
        session.add(subscriber)
        session.flush()
    else:
        subscriber.component_codes = codes
    return subscriber


def confirm(session: Session, key: bytes, token: str, now: datetime) -> Subscriber:
    subscriber = subscriber_for(session, key, token, CONFIRM)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    return subscriber


def unsubscribe(session: Session, key: bytes, token: str) -> str:
    """Remove the subscriber a link names; return what it was subscribed as."""
    subscriber = subscriber_for(session, key, token, UNSUBSCRIBE)
    target = subscriber.target
    session.delete(subscriber)
    return target


def remove(session: Session, subscriber_id: int) -> None:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    session.delete(subscriber)


def wants(subscriber: Subscriber, incident: PublicIncident) -> bool:
    """Whether an update of ``incident`` goes to ``subscriber``: everything for
    one who chose no components; otherwise only incidents touching theirs
    (and incidents touching no component at all, which concern everyone)."""
    if not subscriber.component_codes or not incident.components:
        return True
    return bool(set(subscriber.component_codes) & {c.code for c in incident.components})


def audience(session: Session, incident: PublicIncident) -> list[Subscriber]:
    """The confirmed subscribers an update of ``incident`` goes to."""
    confirmed = session.scalars(
        select(Subscriber).where(Subscriber.confirmed_at.is_not(None)).order_by(Subscriber.id)
    )
    return [s for s in confirmed if wants(s, incident)]
