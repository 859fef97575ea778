"""The post-mortem as a document to send: Markdown, or a PDF with a title
page, headings, the timeline table and page numbers (WeasyPrint).

Exporting is on record in the audit chain (not the timeline): who took a
copy, in which format, and the SHA-256 of what they got.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline import __version__
from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.postmortems.models import PostMortem
from fireline.web.pdf import html_to_pdf

FORMATS = {"md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; expected md or pdf", field="format")
    return fmt


def export(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    postmortem: PostMortem,
    fmt: str,
) -> bytes:
    check_format(fmt)
    info = document_info(plan, now, incident, postmortem)
    content = to_pdf(info, postmortem.body) if fmt == "pdf" else to_markdown(info, postmortem.body)
    audit.record(
        session,
        actor=principal.actor,
        action="postmortem.export",
        object_type="incident",
        object_id=incident.id,
        changes={
            "incident": incident.ref,
            "format": fmt,
            "status": postmortem.status,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
        now=now,
    )
    return content


def filename(incident: Incident, fmt: str) -> str:
    return f"postmortem-{incident.ref}.{fmt}"


def document_info(
    plan: Plan, now: datetime, incident: Incident, postmortem: PostMortem
) -> dict[str, Any]:
    return {
        "organisation": plan.organisation.name,
        "time_zone": plan.organisation.time_zone,
        "ref": incident.ref,
        "title": postmortem.title,
        "incident_title": incident.title,
        "severity": incident.severity,
        "status": postmortem.status,
        "draft": postmortem.status != "published",
        "published_at": postmortem.published_at,
        "published_by": postmortem.published_by.name if postmortem.published_by else None,
        "due_date": postmortem.due_date,
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        "reviewers": [
            {"name": r.user.name, "decision": r.decision, "decided_at": r.decided_at}
            for r in postmortem.reviewers
        ],
        "generated_at": now,
        "fireline_version": __version__,
    }


def to_markdown(info: dict[str, Any], body: str) -> bytes:
    status = (
        "Published"
        if not info["draft"]
        else f"{info['status'].replace('_', ' ').capitalize()} (not yet published)"
    )
    lines = [
        f"<!-- {info['organisation']} · post-mortem of {info['ref']} · {status} -->",
        "",
        body.rstrip(),
        "",
        "---",
        "",
        f"Status: {status}"
        + (
            f", {info['published_at']:%Y-%m-%d} by {info['published_by']}"
            if info["published_at"]
            else ""
        ),
        "Reviewers: "
        + (
            ", ".join(f"{r['name']} ({r['decision'].replace('_', ' ')})" for r in info["reviewers"])
            or "none"
        ),
        "",
    ]
    return "\n".join(lines).encode()


def to_html(info: dict[str, Any], body: str) -> str:
    from fireline.web.markdown import render_markdown
    from fireline.web.templating import templates

    # The body's first heading repeats the title page's; the document starts after it.
    text = body.lstrip()
    if text.startswith("# "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return templates.env.get_template("postmortems/document.html").render(
        doc=info, body=render_markdown(text)
    )


def to_pdf(info: dict[str, Any], body: str) -> bytes:
    """Printed with no access to any URL: a link or image in the body stays text."""
    return html_to_pdf(to_html(info, body))
