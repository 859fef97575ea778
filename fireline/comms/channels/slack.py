"""Slack: a Block Kit message with Acknowledge and Resolve buttons.

Target, one of:

- ``{"webhook_url": "https://hooks.slack.com/services/…"}``: an incoming
  webhook, which posts to the channel it was made for;
- ``{"token": "xoxb-…", "channel": "C0123ABCD" or "#oncall"}``: a bot token,
  posting with ``chat.postMessage``.

Each button opens its signed one-click link (fireline.comms.links) and
carries the link's token as its ``value``: fireline's Slack app
(fireline.comms.slack), receiving the press, checks the same signature
instead of trusting the click.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from fireline.comms.channels import register
from fireline.comms.channels.base import Delivery, Message, SendContext, TargetInvalid
from fireline.comms.channels.common import (
    http_outcome,
    mask,
    masked_url,
    only_fields,
    post,
    short_code,
    text_field,
    url_field,
)

API_BASE = "https://slack.com/api"
WEBHOOK_BASE = "https://hooks.slack.com/"
_TOKEN = re.compile(r"xox[bp]-[A-Za-z0-9-]{10,250}")
_CHANNEL = re.compile(r"#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,20}")
# chat.postMessage answers 200 with {"ok": false, "error": …}; these errors pass.
_TRANSIENT_ERRORS = {
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
BUTTONS = (
    ("ack_url", "fireline_ack", "Acknowledge", "primary"),
    ("resolve_url", "fireline_resolve", "Resolve", None),
    ("escalate_url", "fireline_escalate", "Escalate", "danger"),
)


def escape(text: str) -> str:
    """Slack's mrkdwn gives &, < and > meaning; escape them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_token(url: str) -> str:
    """The signed token at the end of a one-click link (``…/act/<token>``)."""
    return httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1]


def blocks(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": message.title[:150] or "fireline"},
        },
    ]
    if message.text.strip():
        out.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(message.text)[:3000]}}
        )
    buttons: list[dict[str, Any]] = []
    for attribute, action_id, label, style in BUTTONS:
        url = getattr(message, attribute)
        if not url:
            continue
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "url": url,
            "value": link_token(url)[:2000],
        }
        if style:
            button["style"] = style
        buttons.append(button)
    if message.link:
        buttons.append(
            {
                "type": "button",
                "action_id": "fireline_open",
                "text": {"type": "plain_text", "text": "Open in fireline"},
                "url": message.link,
            }
        )
    if buttons:
        out.append({"type": "actions", "block_id": "fireline_actions", "elements": buttons})
    return out


class SlackChannel:
    kind = "slack"
    label = "Slack"

    def __init__(self, api_base: str = API_BASE, webhook_base: str = WEBHOOK_BASE) -> None:
        """``api_base`` and ``webhook_base`` point elsewhere than Slack only in tests."""
        self.api_base = api_base.rstrip("/")
        self.webhook_base = webhook_base if webhook_base.endswith("/") else webhook_base + "/"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target, {"webhook_url", "token", "channel"})
        if fields.get("webhook_url"):
            if fields.get("token") or fields.get("channel"):
                raise TargetInvalid(
                    "webhook_url", "give a webhook URL, or a token and a channel, not both"
                )
            url = url_field(fields, "webhook_url")
            if not url.startswith(self.webhook_base):
                raise TargetInvalid(
                    "webhook_url", f"a Slack incoming webhook starts with {self.webhook_base}"
                )
            return {"webhook_url": url}
        if not fields.get("token") and not fields.get("channel"):
            raise TargetInvalid("webhook_url", "required (or a token and a channel)")
        token = text_field(
            fields, "token", pattern=_TOKEN, hint="a Slack bot token starts with xoxb-"
        )
        channel = text_field(
            fields,
            "channel",
            max_length=81,
            pattern=_CHANNEL,
            hint="a channel ID (C0123ABCD) or #name",
        )
        return {"token": token, "channel": channel}

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        if target.get("webhook_url"):
            return {"webhook_url": masked_url(str(target["webhook_url"]))}
        return {
            "token": mask(str(target.get("token", "")), keep=5),
            "channel": target.get("channel", ""),
        }

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        try:
            clean = self.validate_target(target)
        except TargetInvalid as exc:
            return Delivery.failed(f"invalid target: {exc}")
        body: dict[str, Any] = {
            "text": message.title,  # the notification preview and screen readers
            "blocks": blocks(message),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if "webhook_url" in clean:
            url = clean["webhook_url"]
        else:
            url = f"{self.api_base}/chat.postMessage"
            body["channel"] = clean["channel"]
            headers["Authorization"] = f"Bearer {clean['token']}"
        content = json.dumps(body, separators=(",", ":")).encode("utf-8")
        with ctx.client() as client:
            result = post(client, url, content=content, headers=headers)
        if isinstance(result, Delivery):
            return result
        if "webhook_url" in clean:
            return http_outcome(result, short_code(result.text))
        return _api_outcome(result)


def _api_outcome(response: httpx.Response) -> Delivery:
    if not response.is_success:
        return http_outcome(response)
    try:
        answer = response.json()
    except ValueError:
        return Delivery.retry("Slack answered with something that is not JSON")
    if not isinstance(answer, dict):
        return Delivery.retry("Slack answered with something unexpected")
    if answer.get("ok") is True:
        channel, ts = answer.get("channel"), answer.get("ts")
        provider_id = f"{channel}/{ts}" if channel and ts else None
        return Delivery.sent("posted to Slack", provider_id=provider_id)
    error = short_code(str(answer.get("error", ""))) or "unknown error"
    if error in _TRANSIENT_ERRORS:
        return Delivery.retry(f"Slack: {error}")
    return Delivery.failed(f"Slack: {error}")


register(SlackChannel())
