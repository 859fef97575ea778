"""What subscribers receive by mail: the confirmation, and an update (plain
text and HTML). Pure: rows and URLs in, messages out.

The webhook body (see ``jobs.webhook_body``) follows Atlassian Statuspage's
incident webhooks.
"""

from __future__ import annotations

from html import escape

from fireline.comms.channels.base import Message
from fireline.comms.status.models import PublicUpdate, StatusPageSettings
from fireline.comms.status.overall import component_label


def confirmation(page: StatusPageSettings, base_url: str, token: str) -> Message:
    confirm_url = f"{base_url}/status/subscribe/confirm/{token}"
    text = (
        f"Someone, probably you, asked to receive {page.name} status updates at this address.\n\n"
        f"Confirm: {confirm_url}\n\n"
        "If it was not you, ignore this mail: nothing is sent without the confirmation."
    )
    html = (
        f"<p>Someone, probably you, asked to receive <b>{escape(page.name)}</b> status updates "
        f'at this address.</p><p><a href="{escape(confirm_url)}">Confirm the subscription</a></p>'
        "<p>If it was not you, ignore this mail: nothing is sent without the confirmation.</p>"
    )
    return Message(
        title=f"Confirm your subscription to {page.name}",
        text=text,
        html=html,
        urgency="low",
        link=confirm_url,
        kind="status_confirm",
    )


def _changes_text(update: PublicUpdate) -> list[str]:
    return [
        f"{c['name']}: {component_label(c['new_status'])}"
        for c in update.affected_components
        if c.get("old_status") != c.get("new_status")
    ]


def update_mail(
    page: StatusPageSettings, base_url: str, update: PublicUpdate, unsubscribe_token: str
) -> Message:
    incident = update.incident
    where = f"{base_url}/status/incidents/{incident.code}"
    unsubscribe = f"{base_url}/status/unsubscribe/{unsubscribe_token}"
    status = component_label(update.status)
    changes = _changes_text(update)
    lines = [f"{incident.name}", f"{status}: {update.body}", ""]
    lines += [*changes, ""] if changes else []
    lines += [f"Follow it: {where}", "", f"Unsubscribe: {unsubscribe}"]
    change_items = "".join(f"<li>{escape(c)}</li>" for c in changes)
    html = (
        f'<div style="border-top:4px solid {escape(page.brand_color)};padding-top:8px">'
        f"<h2>{escape(incident.name)}</h2>"
        f"<p><b>{escape(status)}</b>: {escape(update.body)}</p>"
        + (f"<ul>{change_items}</ul>" if change_items else "")
        + f'<p><a href="{escape(where)}">Follow it on {escape(page.name)}</a></p>'
        f'<p style="color:#666;font-size:12px"><a href="{escape(unsubscribe)}">Unsubscribe</a>'
        "</p></div>"
    )
    return Message(
        title=f"[{page.name}] {incident.name}: {status}",
        text="\n".join(lines),
        html=html,
        urgency="low",
        link=where,
        idempotency_key=f"status-update-{update.id}",
        kind="status_update",
        unsubscribe_url=unsubscribe,
    )
