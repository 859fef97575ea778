"""The channel registry: one instance per kind.

Built-in channels register exactly as an outside one does, by calling
:func:`register` when their module is imported::

    from fireline.comms import channels

    class PagerChannel:
        kind = "pager"
        label = "Pager"
        def validate_target(self, target): ...
        def redact(self, target): ...
        def send(self, message, target, ctx): ...

    channels.register(PagerChannel())

This package imports the built-in modules (``BUILTIN_MODULES``) on first
import; :func:`load_modules` imports more (a plugin list from settings).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fireline.comms.channels.base import Channel, SendContext, SmtpSettings

if TYPE_CHECKING:
    from fireline.core.config import Settings
    from fireline.core.jobs.registry import JobContext

BUILTIN_MODULES: tuple[str, ...] = (
    "fireline.comms.channels.email",
    "fireline.comms.channels.webhook",
    "fireline.comms.channels.slack",
    "fireline.comms.channels.ntfy",
    "fireline.comms.channels.apprise_channel",
    "fireline.comms.channels.log",
)


class UnknownChannel(LookupError):
    pass


_channels: dict[str, Channel] = {}


def register(channel: Channel, *, replace: bool = False) -> Channel:
    """Make ``channel`` the one for its kind; registering another channel for
    a taken kind is an error unless ``replace`` (tests, or an outside module
    deliberately overriding a built-in)."""
    if not isinstance(channel, Channel):
        raise TypeError(
            f"{channel!r} is not a channel: it needs kind, label, validate_target, redact and send"
        )
    kind = channel.kind
    if not kind or not kind.replace("_", "").replace("-", "").isalnum() or kind != kind.lower():
        raise ValueError(f"channel kind {kind!r} must be a short lower-case name")
    existing = _channels.get(kind)
    if existing is not None and existing is not channel and not replace:
        raise ValueError(f"channel kind {kind!r} is already registered: {existing!r}")
    _channels[kind] = channel
    return channel


def unregister(kind: str) -> None:
    _channels.pop(kind, None)


def get(kind: str) -> Channel:
    try:
        return _channels[kind]
    except KeyError:
        raise UnknownChannel(f"no channel is registered for kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_channels)


def load_modules(modules: Iterable[str]) -> None:
    """Import modules whose import registers channels."""
    for module in modules:
        importlib.import_module(module)


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """The e-mail channel's settings from FIRELINE_SMTP_*; None when e-mail is off."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
        implicit_tls=settings.smtp_port == 465 and not settings.smtp_starttls,
    )


def job_send_context(ctx: JobContext) -> SendContext:
    """How a job's message goes out: with the job's idempotency key (the same
    on every retry, so receivers can drop repeats), the SMTP and outbound
    settings, and the job's clock."""
    return SendContext(
        idempotency_key=ctx.job.idempotency_key or f"job-{ctx.job.id}",
        smtp=smtp_settings(ctx.settings),
        allow_private=ctx.settings.outbound_allow_private,
        now=ctx.now,
    )


load_modules(BUILTIN_MODULES)
