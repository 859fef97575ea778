"""ntfy push notifications (ntfy.sh or a self-hosted server).

Target: ``{"server": "https://ntfy.sh", "topic": "…", "token": "tk_…"}``
(the token is optional: for servers with access control).

On a public server the topic name is the only thing between a page and a
stranger, so it is treated as a secret: pick a long random one; it is
masked wherever targets are shown.

High-urgency pages go out at priority ``urgent`` (ntfy's loudest, which
breaks through Do Not Disturb where the phone allows it). Acknowledge and
Resolve are ntfy ``http`` actions: a tap POSTs to the signed link.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from fireline.comms.channels import register
from fireline.comms.channels.base import Delivery, Message, SendContext, TargetInvalid
from fireline.comms.channels.common import (
    MASK,
    http_outcome,
    mask,
    only_fields,
    post,
    text_field,
    url_field,
)
from fireline.core.http import safe_url

DEFAULT_SERVER = "https://ntfy.sh"
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")
MIN_PUBLIC_TOPIC = 12


def header_value(value: str) -> str:
    """HTTP headers are ASCII; ntfy decodes RFC 2047 encoded words for the rest."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="


def priority(message: Message) -> str:
    if message.kind == "page" and message.urgency == "high":
        return "urgent"
    return "default"


def tags(message: Message) -> str:
    if message.kind != "page":
        return "white_check_mark"
    return "rotating_light" if message.urgency == "high" else "warning"


def actions(message: Message) -> list[dict[str, Any]]:
    found = []
    for url, label in ((message.ack_url, "Acknowledge"), (message.resolve_url, "Resolve")):
        if url:
            found.append(
                {"action": "http", "label": label, "url": url, "method": "POST", "clear": True}
            )
    return found


class NtfyChannel:
    kind = "ntfy"
    label = "ntfy"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target, {"server", "topic", "token"})
        server = url_field(fields, "server", required=False) or DEFAULT_SERVER
        topic = text_field(
            fields, "topic", max_length=64, pattern=_TOPIC, hint="letters, digits, - and _ only"
        )
        if server.rstrip("/") == DEFAULT_SERVER and len(topic) < MIN_PUBLIC_TOPIC:
            raise TargetInvalid(
                "topic",
                f"on the public ntfy.sh anyone who guesses the topic reads your pages: "
                f"use at least {MIN_PUBLIC_TOPIC} random characters",
            )
        clean = {"server": server.rstrip("/"), "topic": topic}
        token = text_field(fields, "token", required=False, max_length=256)
        if token:
            clean["token"] = token
        return clean

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        topic = str(target.get("topic", ""))
        shown: dict[str, Any] = {
            "server": safe_url(str(target.get("server", DEFAULT_SERVER))),
            "topic": topic[:3] + MASK if topic else "",
        }
        if target.get("token"):
            shown["token"] = mask(str(target["token"]), keep=3)
        return shown

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        try:
            clean = self.validate_target(target)
        except TargetInvalid as exc:
            return Delivery.failed(f"invalid target: {exc}")
        headers = {
            "Title": header_value(message.title or "fireline"),
            "Priority": priority(message),
            "Tags": tags(message),
            "Content-Type": "text/plain; charset=utf-8",
        }
        if message.link:
            headers["Click"] = header_value(message.link)
        buttons = actions(message)
        if buttons:
            headers["Actions"] = json.dumps(buttons, separators=(",", ":"))
        if clean.get("token"):
            headers["Authorization"] = f"Bearer {clean['token']}"
        url = f"{clean['server']}/{clean['topic']}"
        with ctx.client() as client:
            result = post(client, url, content=message.text.encode("utf-8"), headers=headers)
        if isinstance(result, Delivery):
            return result
        provider_id = None
        if result.is_success:
            try:
                answer = result.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("id"), str):
                provider_id = answer["id"]
        return http_outcome(result, provider_id=provider_id)


register(NtfyChannel())
