"""A JSON POST to any URL: for tools fireline has no channel of its own for.

Target: ``{"url": "https://…", "secret": "…"}`` (the secret is optional).

Headers a receiver can rely on:

- ``Idempotency-Key``: the same on every retry of one delivery; drop repeats.
- ``X-Fireline-Signature: sha256=<hex>``: with a secret, the HMAC-SHA256 of
  the exact body bytes keyed with it. Check it with a constant-time compare
  before trusting the body.
- ``X-Fireline-Event``: ``page``, ``test`` or ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fireline.comms.channels import register
from fireline.comms.channels.base import Delivery, Message, SendContext, TargetInvalid
from fireline.comms.channels.common import (
    http_outcome,
    mask,
    masked_url,
    only_fields,
    post,
    text_field,
    url_field,
)

SIGNATURE_HEADER = "X-Fireline-Signature"
MIN_SECRET_LENGTH = 16


def signature(secret: str, body: bytes) -> str:
    """The ``X-Fireline-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def payload(message: Message, key: str) -> dict[str, Any]:
    return {
        "event": message.kind,
        "idempotency_key": key,
        "title": message.title,
        "text": message.text,
        "html": message.html,
        "urgency": message.urgency,
        "link": message.link or None,
        "ack_url": message.ack_url,
        "resolve_url": message.resolve_url,
    }


class WebhookChannel:
    kind = "webhook"
    label = "Webhook"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target, {"url", "secret"})
        clean: dict[str, Any] = {"url": url_field(fields, "url")}
        secret = text_field(fields, "secret", required=False, max_length=256)
        if secret:
            if len(secret) < MIN_SECRET_LENGTH:
                raise TargetInvalid(
                    "secret", f"use a random string of at least {MIN_SECRET_LENGTH} characters"
                )
            clean["secret"] = secret
        return clean

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        shown: dict[str, Any] = {"url": masked_url(str(target.get("url", "")))}
        if target.get("secret"):
            shown["secret"] = mask(str(target["secret"]))
        return shown

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        try:
            clean = self.validate_target(target)
        except TargetInvalid as exc:
            return Delivery.failed(f"invalid target: {exc}")
        key = ctx.delivery_key(message)
        body = json.dumps(payload(message, key), separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Fireline-Event": message.kind,
        }
        if clean.get("secret"):
            headers[SIGNATURE_HEADER] = signature(clean["secret"], body)
        with ctx.client() as client:
            result = post(client, clean["url"], content=body, headers=headers)
        if isinstance(result, Delivery):
            return result
        return http_outcome(result)


register(WebhookChannel())
