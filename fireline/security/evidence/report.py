"""The evidence report for legal: the incident, every item with its hashes
and metadata, its full custody trail, and whether its stored bytes still
matched when the report was made. As JSON, and as a PDF to file.

Every report is itself on record: its audit entry carries the SHA-256 of the
document produced, so a copy that turns up later can be shown to be the one
fireline made (or not).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline import __version__
from fireline.core import audit
from fireline.core.audit import AuditEvent
from fireline.core.clock import Clock
from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.evidence import checks, queries, service
from fireline.security.evidence.metadata import local_collected
from fireline.security.evidence.store import EvidenceStore
from fireline.web.pdf import html_to_pdf

FORMAT = "fireline-evidence-report"
VERSION = 1
STATUS_WORDS = {
    "ok": "matches",
    "changed": "CHANGED",
    "missing": "MISSING",
    "not_held": "not held by fireline",
}


def generate(
    session: Session,
    store: EvidenceStore,
    plan: Plan,
    principal: Principal,
    clock: Clock,
    incident: Incident,
    fmt: str,
    *,
    via: str,
) -> bytes:
    """Check every item's bytes, then write the report (``fmt``: json or pdf)."""
    items = queries.items_of(session, incident)
    session.commit()  # no transaction while files are hashed
    results = {item.id: checks.measure(store, item, incident.ref) for item in items}
    now = clock.now()
    for item in items:
        if results[item.id].status != "not_held":
            service.record_check(
                session, principal, now, item, results[item.id].problem, during="report"
            )
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    data = document(plan, principal, now, incident, items, results, head)
    session.commit()
    content = to_pdf(data, principal.time_zone) if fmt == "pdf" else to_json(data)
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.report",
        object_type="incident",
        object_id=incident.id,
        changes={
            "incident": incident.ref,
            "format": fmt,
            "via": via,
            "items": len(items),
            "failed": [r.ref for r in results.values() if r.problem],
            "sha256": hashlib.sha256(content).hexdigest(),
        },
        now=now,
    )
    session.commit()
    return content


def document(
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    items: list[Any],
    results: dict[int, checks.Check],
    head: Any,
) -> dict[str, Any]:
    """The report as data: what both formats show."""
    incident_type = plan.incident_type(incident.type_key)
    entries = []
    for item in items:
        result = results[item.id]
        entries.append(
            {
                **queries.item_document(item, incident.ref),
                "collected_local": local_collected(item.collected_at, item.collected_tz),
                "verification": {
                    "status": result.status,
                    "checked_at": now if result.status != "not_held" else None,
                    "found": result.found,
                    "problem": result.problem,
                },
            }
        )
    failed = [e for e in entries if e["verification"]["problem"]]
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": now,
        "generated_by": {
            "id": principal.user_id,
            "name": principal.name,
            "email": principal.email,
        },
        "fireline_version": __version__,
        "audit_chain_head": {"seq": head[0], "hash": head[1]} if head else None,
        "incident": {
            "ref": incident.ref,
            "title": incident.title,
            "type": incident.type_key,
            "type_name": incident_type.name,
            "category": incident_type.category,
            "severity": incident.severity,
            "status": incident.status,
            "restricted": incident.restricted,
            "started_at": incident.started_at,
            "declared_at": incident.declared_at,
            "resolved_at": incident.resolved_at,
            "commander": incident.commander.name if incident.commander else None,
            "roles": [
                {"role": r.role_key, "role_name": plan.role(r.role_key).name, "user": r.user.name}
                for r in incident.roles
                if r.ended_at is None
            ],
        },
        "summary": {
            "items": len(entries),
            "uploads": sum(1 for e in entries if e["origin"] == "upload"),
            "external": sum(1 for e in entries if e["origin"] == "external"),
            "legal_hold": sum(1 for e in entries if e["legal_hold"]),
            "failed": len(failed),
            "all_match": not failed,
        },
        "items": entries,
    }


def to_json(data: dict[str, Any]) -> bytes:
    encodable = {**data, "items": [_without_local(e) for e in data["items"]]}
    return json.dumps(to_jsonable_python(encodable), indent=2, ensure_ascii=False).encode() + b"\n"


def _without_local(entry: dict[str, Any]) -> dict[str, Any]:
    # The JSON keeps UTC and the zone's name; the local time is for reading.
    local = entry["collected_local"]
    return {
        **{k: v for k, v in entry.items() if k != "collected_local"},
        "collected_local": local.isoformat(),
    }


def to_html(data: dict[str, Any], time_zone: str) -> str:
    """The report as the HTML that WeasyPrint prints."""
    from fireline.web.templating import templates

    return templates.env.get_template("security/evidence/report.html").render(
        report=data, time_zone=time_zone, status_words=STATUS_WORDS
    )


def to_pdf(data: dict[str, Any], time_zone: str) -> bytes:
    """The report as a PDF, printed with no access to any URL."""
    return html_to_pdf(to_html(data, time_zone))
