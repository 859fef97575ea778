"""What fireline posts in Slack: an incident channel's header (kept current
in a pinned message), an event in the channel, and answers to commands.
Pure: plain values in, Block Kit out."""

from __future__ import annotations

import re
from typing import Any

from fireline.comms.channels.slack import escape
from fireline.incidents.models import Incident

Blocks = list[dict[str, Any]]
_NOT_NAME = re.compile(r"[^a-z0-9-]+")


def channel_name(incident: Incident) -> str:
    """``inc-42-checkout-failing``: Slack names are lower case, at most 80 characters."""
    slug = _NOT_NAME.sub("-", incident.title.lower()).strip("-")
    return f"inc-{incident.id}-{slug}"[:80].rstrip("-")


def header(incident: Incident, base_url: str, commander: str | None) -> Blocks:
    link = f"{base_url}/incidents/{incident.ref}"
    facts = (
        f"*Severity* {incident.severity}   *Status* {escape(incident.status.replace('_', ' '))}   "
        f"*Commander* {escape(commander) if commander else 'nobody yet'}"
    )
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{incident.ref} {incident.title}"[:150]},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
        {
            "type": "actions",
            "block_id": "fireline_incident",
            "elements": [
                {
                    "type": "button",
                    "action_id": "fireline_incident_ack",
                    "text": {"type": "plain_text", "text": "Acknowledge page"},
                    "style": "primary",
                    "value": incident.ref,
                },
                {
                    "type": "button",
                    "action_id": "fireline_incident_escalate",
                    "text": {"type": "plain_text", "text": "Escalate"},
                    "value": incident.ref,
                },
                {
                    "type": "button",
                    "action_id": "fireline_incident_resolve",
                    "text": {"type": "plain_text", "text": "Resolve"},
                    "value": incident.ref,
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Resolve?"},
                        "text": {"type": "plain_text", "text": f"Resolve {incident.ref}?"},
                        "confirm": {"type": "plain_text", "text": "Resolve"},
                        "deny": {"type": "plain_text", "text": "Not yet"},
                    },
                },
                {
                    "type": "button",
                    "action_id": "fireline_open",
                    "text": {"type": "plain_text", "text": "Open in fireline"},
                    "url": link,
                },
            ],
        },
    ]


def header_text(incident: Incident) -> str:
    """The fallback text of the header, for notifications and screen readers."""
    return f"{incident.ref} {incident.title}: {incident.severity}, {incident.status}"


def event_text(incident: Incident, kind: str, body: str, who: str | None) -> str:
    what = kind.replace("_", " ")
    by = f" by {escape(who)}" if who else ""
    detail = f": {escape(body)}" if body else ""
    return f"*{what}*{by}{detail}"[:3000]


def status_text(incident: Incident, base_url: str, commander: str | None) -> str:
    return (
        f"*{incident.ref}* {escape(incident.title)}\n"
        f"{incident.severity} · {escape(incident.status.replace('_', ' '))} · "
        f"commander {escape(commander) if commander else 'nobody yet'}\n"
        f"<{base_url}/incidents/{incident.ref}|Open in fireline>"
    )
