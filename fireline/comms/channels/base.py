"""The channel protocol: what every way of reaching a person provides, and the
plain data that goes in (a :class:`Message`, a target, a :class:`SendContext`)
and comes out (a :class:`Delivery`).

A *target* is one contact method's configuration, a JSON object stored on
the contact method: ``{"address": "ana@example.com"}`` for e-mail, a URL and
a secret for a webhook, and so on. Each channel checks and normalises it
(:meth:`Channel.validate_target`) when it is saved, and says how to show it
without its secrets (:meth:`Channel.redact`).

:meth:`Channel.send` never raises for a failed delivery: it returns a
:class:`Delivery` that says whether trying again later may help
(``transient``: timeouts, connection errors, 5xx, 429) or not (a permanent
failure: the caller moves on to the person's next contact method).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import httpx

from fireline.core.http import outbound_client

Urgency = Literal["high", "low"]
MessageKind = Literal["page", "test", "verify"]


class TargetInvalid(ValueError):
    """A target field that is missing or wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Message:
    """What to tell the person, the same for every channel; each channel
    renders it in its own way."""

    title: str
    text: str
    urgency: str = "high"  # "high" or "low"
    link: str = ""  # the alert group or incident
    idempotency_key: str = ""
    kind: str = "page"  # "page", "test" or "verify"
    html: str | None = None
    ack_url: str | None = None  # signed one-click links (fireline.comms.links)
    resolve_url: str | None = None
    escalate_url: str | None = None  # to the policy's next step at once
    # Mail a reader asked for (status updates) can be left in one click;
    # pages cannot, and have none.
    unsubscribe_url: str | None = None

    @property
    def subject(self) -> str:
        return self.title


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send. ``detail`` is short and holds no secret: it is
    shown on the incident timeline and the contact method's page."""

    ok: bool
    transient: bool = False
    detail: str = ""
    provider_id: str | None = None

    @classmethod
    def sent(cls, detail: str = "sent", provider_id: str | None = None) -> Delivery:
        return cls(ok=True, detail=detail, provider_id=provider_id)

    @classmethod
    def retry(cls, detail: str) -> Delivery:
        """Failed for now; the same send may work later."""
        return cls(ok=False, transient=True, detail=detail)

    @classmethod
    def failed(cls, detail: str) -> Delivery:
        """Failed for good; try the person's next contact method."""
        return cls(ok=False, transient=False, detail=detail)

    @property
    def permanent(self) -> bool:
        return not self.ok and not self.transient


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes out; see ``channels.smtp_settings`` for FIRELINE_SMTP_*."""

    host: str
    port: int = 25
    sender: str = "fireline@localhost"
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    implicit_tls: bool = False  # SMTPS, usually port 465
    timeout: float = 15.0


@dataclass(frozen=True)
class SendContext:
    """What a send needs beyond the message and the target.

    ``idempotency_key`` is the delivery's: the same on every retry of one
    message to one target, different for another target. Channels pass it
    to receivers (e-mail Message-ID, the webhook ``Idempotency-Key`` header)
    so they can drop duplicates of a retried delivery.

    ``http``: a client from :func:`fireline.core.http.outbound_client` to
    share between sends; without one, each send makes its own from
    ``allow_private`` and ``allow``.
    """

    idempotency_key: str = ""
    smtp: SmtpSettings | None = None
    allow_private: bool = False
    allow: tuple[str, ...] = ()
    http: httpx.Client | None = None
    now: datetime | None = None

    def delivery_key(self, message: Message) -> str:
        return self.idempotency_key or message.idempotency_key

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        if self.http is not None:
            yield self.http
            return
        with outbound_client(allow_private=self.allow_private, allow=self.allow) as client:
            yield client


@runtime_checkable
class Channel(Protocol):
    """One way of reaching a person. Register an instance with
    ``fireline.comms.channels.register``; built-in channels do the same."""

    kind: str  # stored on contact methods: short, stable, lower case
    label: str  # shown to people: "E-mail", "Slack"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        """The normalised target; raises :class:`TargetInvalid` naming the field."""
        ...

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        """The target for display and logs, secrets masked."""
        ...

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        """Deliver ``message`` to ``target``; never raises for a failed delivery."""
        ...
