"""Any service Apprise speaks: Microsoft Teams, Telegram, Pushover, Discord,
Matrix, SMS and voice providers (Twilio, Vonage, …), and a hundred more.

Target: ``{"url": "<apprise URL>"}``, e.g. ``tgram://<bot token>/<chat id>``
or ``twilio://<sid>:<token>@<from>/<to>``; the Apprise documentation lists
every scheme.

Apprise reports a failure only as ``False``; the reason is in its log, which
is captured around each send. Every failure is treated as transient (the
jobs worker retries; when attempts run out the caller moves on).

Services that talk to a host the URL names (``json://``, ``ntfy://host``,
``gotify://``, …) go through the same address guard as the HTTP client;
Apprise connects by itself, so the check is made on a fresh resolution just
before the send rather than pinned to the connection.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

import apprise
import httpx

from fireline.comms.channels import register
from fireline.comms.channels.base import Delivery, Message, SendContext, TargetInvalid
from fireline.comms.channels.common import MASK, only_fields, text_field
from fireline.core.http import AddressPolicy, OutboundRefused, checked_addresses

# Generic HTTP services: the URL's path can hold the receiver's secret.
_GENERIC = {"json", "jsons", "form", "forms", "xml", "xmls"}
_SUPPORTS_TIMEOUT = "timeout" in inspect.signature(apprise.Apprise.notify).parameters
TOTAL_TIMEOUT = 15


def plugin_for(url: str) -> Any | None:
    """Apprise's object for ``url``; None when it does not know the scheme or
    a required part is missing."""
    try:
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:  # apprise plugins validate in their constructors, each its own way
        return None


def notify_type(message: Message) -> apprise.NotifyType:
    if message.kind != "page":
        return apprise.NotifyType.INFO
    return apprise.NotifyType.FAILURE if message.urgency == "high" else apprise.NotifyType.WARNING


def names_its_host(plugin: Any) -> bool:
    """Whether the plugin connects to the host in its URL (rather than to its
    service's fixed API, with a token where the host would be)."""
    tokens = getattr(type(plugin), "template_tokens", {}) or {}
    return "host" in tokens and getattr(plugin, "mode", None) != "cloud" and bool(plugin.host)


def secrets_in(url: str, host_is_secret: bool = True) -> list[str]:
    """The parts of an Apprise URL that may be secret, to keep them out of
    failure details: user names, passwords, path segments, query values, and
    the host, which many services fill with a token."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2:
        found.extend(unquote(piece) for piece in netloc[0].split(":"))
    if host_is_secret:
        found.append(parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0])
    found.extend(unquote(segment) for segment in parts.path.split("/"))
    for pair in parts.query.split("&"):
        found.append(unquote(pair.partition("=")[2]))
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class AppriseChannel:
    kind = "apprise"
    label = "Apprise"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target, {"url"})
        url = text_field(fields, "url", max_length=2000)
        if "://" not in url:
            raise TargetInvalid("url", "expected an Apprise URL such as tgram://token/chat_id")
        if plugin_for(url) is None:
            raise TargetInvalid(
                "url", "Apprise does not recognise this URL: unknown service, or a part is missing"
            )
        return {"url": url}

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        url = str(target.get("url", ""))
        plugin = plugin_for(url) if url else None
        if plugin is None:
            return {"url": url.split("://", 1)[0] + "://" + MASK if "://" in url else MASK}
        scheme = url.split("://", 1)[0].lower()
        private = plugin.url(privacy=True).split("?", 1)[0]
        if scheme in _GENERIC:
            parts = urlsplit(private)
            hidden = f"/{MASK}" if parts.path.strip("/") else ""
            private = f"{parts.scheme}://{parts.netloc}{hidden}"
        return {"url": private}

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        url = str(target.get("url", "")) if isinstance(target, dict) else ""
        plugin = plugin_for(url)
        if plugin is None:
            return Delivery.failed("invalid target: url: Apprise does not recognise this URL")
        real_host = names_its_host(plugin)
        secrets = secrets_in(url, host_is_secret=not real_host)
        if real_host:
            try:
                port = int(plugin.port or (443 if plugin.secure else 80))
                checked_addresses(plugin.host, port, AddressPolicy.of(ctx.allow_private, ctx.allow))
            except OutboundRefused as exc:
                return Delivery.failed(str(exc))  # names the host and its address only
            except httpx.ConnectError:
                return Delivery.retry(
                    f"could not resolve the host of this {plugin.service_name} URL"
                )
        sender = apprise.Apprise()
        sender.add(plugin)
        options: dict[str, Any] = {"timeout": TOTAL_TIMEOUT} if _SUPPORTS_TIMEOUT else {}
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = bool(
                sender.notify(
                    body=message.text or message.title,
                    title=message.title,
                    notify_type=notify_type(message),
                    body_format=apprise.NotifyFormat.TEXT,
                    **options,
                )
            )
            log = captured.getvalue()
        service = getattr(plugin, "service_name", None) or "Apprise"
        if ok:
            return Delivery.sent(f"sent by {service}")
        lines = [line.strip() for line in log.splitlines() if line.strip()]
        reason = scrub(" ".join(lines[-2:]), secrets)[:300] or "no reason given"
        return Delivery.retry(f"{service} failed: {reason}")


register(AppriseChannel())
