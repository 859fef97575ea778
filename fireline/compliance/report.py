"""The compliance report for a period: every incident the reader may see,
with its classification, key timeline, decisions and approvals, evidence
custody, notifications against their deadlines, post-mortem and corrective
actions; the Annex A controls they evidence; and the audit chain's
verification. Exercises are left out of the incidents and counted under
preparation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fireline import __version__
from fireline.alerts.models import AlertGroup
from fireline.catalog.models import Service
from fireline.compliance.controls import evidence_for
from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.incidents.models import ActionItem, Incident, TimelineEvent
from fireline.incidents.queries import visible_to
from fireline.incidents.sla_timers import clocks
from fireline.plan.schema import Plan
from fireline.playbooks import library
from fireline.postmortems.models import PostMortem
from fireline.security import service as security
from fireline.security.evidence.models import EvidenceItem
from fireline.security.obligations.tracking import attached, clocks_of

KEY_EVENTS = (
    "declared",
    "status_changed",
    "severity_changed",
    "type_changed",
    "role_assigned",
    "classified",
    "classification_decided",
    "approval_decided",
    "action_carried_out",
    "note",
)
MAX_DAYS = 800


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def build(
    session: Session,
    plan: Plan,
    principal: Principal,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
) -> dict[str, Any]:
    if until <= since:
        raise InvalidInput("the period must end after it starts", field="until")
    if (until - since).days > MAX_DAYS:
        raise InvalidInput(f"a period of at most {MAX_DAYS} days", field="since")
    incidents = list(
        session.scalars(
            select(Incident)
            .where(
                Incident.declared_at >= since,
                Incident.declared_at < until,
                Incident.is_exercise.is_(False),
                visible_to(principal),
            )
            .order_by(Incident.declared_at)
        )
    )
    rows = [_incident(session, plan, incident, now) for incident in incidents]
    services = session.scalars(select(Service)).all()
    report: dict[str, Any] = {
        "kind": "fireline compliance report",
        "version": 1,
        "organisation": plan.organisation.name,
        "period": {"since": _iso(since), "until": _iso(until)},
        "generated_at": _iso(now),
        "generated_by": principal.name,
        "fireline_version": __version__,
        "plan": {
            "severities": len(plan.severities),
            "roles": len(plan.roles),
            "playbooks": len(library.available(session, plan)),
            "services": len(services),
            "services_with_policy": sum(s.escalation_policy_id is not None for s in services),
        },
        "exercises": session.scalar(
            select(func.count(Incident.id)).where(
                Incident.is_exercise.is_(True),
                Incident.declared_at >= since,
                Incident.declared_at < until,
            )
        )
        or 0,
        "incidents": rows,
        "audit_chain": _chain(session, since, until),
    }
    report["controls"] = evidence_for(report)
    return report


def _incident(session: Session, plan: Plan, incident: Incident, now: datetime) -> dict[str, Any]:
    kind = plan.incident_type(incident.type_key)
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.kind.in_(KEY_EVENTS))
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    ).all()
    classification = security.current_classification(session, incident)
    postmortem = session.scalar(select(PostMortem).where(PostMortem.incident_id == incident.id))
    sla = {state.kind.value: state.status.value for state in clocks(plan, incident, now)}
    return {
        "ref": incident.ref,
        "title": incident.title,
        "type": kind.name,
        "category": kind.category,
        "severity": incident.severity,
        "status": incident.status,
        "restricted": incident.restricted,
        "commander": incident.commander.name if incident.commander else None,
        "milestones": {
            name: _iso(getattr(incident, f"{name}_at"))
            for name in (
                "started",
                "detected",
                "declared",
                "acknowledged",
                "mitigated",
                "resolved",
                "closed",
            )
        },
        "sla": sla,
        "from_alert": session.scalar(
            select(AlertGroup.id).where(AlertGroup.incident_id == incident.id).limit(1)
        )
        is not None,
        "severity_changes": sum(e.kind == "severity_changed" for e in events),
        "classification": {
            "values": classification.values,
            "suggested_severity": classification.suggested_severity,
            "decision": classification.decision,
            "decided_severity": classification.decided_severity,
            "reason": classification.decision_reason,
        }
        if classification
        else None,
        "timeline": [
            {
                "at": _iso(e.occurred_at),
                "kind": e.kind,
                "by": e.actor.name if e.actor else "fireline",
                "text": e.body if e.kind != "confidential_note" else "",
                "audit_seq": e.audit_seq,
            }
            for e in events
            if e.kind != "note" or e.pinned
        ],
        "approvals": [
            {
                "action": r.title,
                "phase": r.phase,
                "status": r.status,
                "decisions": [
                    {
                        "role": d.role_key,
                        "by": d.user.name,
                        "decision": d.decision,
                        "rationale": d.rationale,
                        "at": _iso(d.decided_at),
                    }
                    for d in r.decisions
                ],
                "carried_out_at": _iso(r.carried_out_at),
            }
            for r in security.list_approvals(session, incident)
        ],
        "evidence": [
            {
                "label": item.label,
                "type": item.item_type,
                "sha256": item.sha256,
                "custody_events": len(item.custody),
                "integrity": "failed"
                if item.verify_problem
                else ("ok" if item.verified_at else "not checked"),
            }
            for item in session.scalars(
                select(EvidenceItem).where(EvidenceItem.incident_id == incident.id)
            )
        ],
        "notifications": [
            {
                "obligation": row.name,
                "stage": clock.stage.name,
                "due_at": _iso(clock.due_at),
                "submitted_at": _iso(clock.submitted_at),
                "state": clock.state.value,
            }
            for row in attached(session, incident)
            for clock in clocks_of(plan, row, now)
            if clock.state.value != "not_applicable"
        ],
        "postmortem": {
            "status": postmortem.status,
            "published_at": _iso(postmortem.published_at),
            "due_date": postmortem.due_date.isoformat() if postmortem.due_date else None,
        }
        if postmortem
        else None,
        "action_items": [
            {
                "title": a.title,
                "owner": a.owner.name if a.owner else None,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "status": a.status,
                "closed_at": _iso(a.closed_at),
                "on_time": bool(a.closed_at and a.due_date and a.closed_at.date() <= a.due_date)
                if a.closed_at
                else None,
            }
            for a in session.scalars(
                select(ActionItem).where(ActionItem.incident_id == incident.id)
            )
        ],
    }


def _chain(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    """The whole chain is verified (a break before the period would hide edits
    in it); the report names the records that fall in the period."""
    result = audit.verify(session)
    first, last = session.execute(
        select(func.min(audit.AuditEvent.seq), func.max(audit.AuditEvent.seq)).where(
            audit.AuditEvent.at >= since, audit.AuditEvent.at < until
        )
    ).one()
    return {
        "verified": result.ok,
        "records_checked": result.checked,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "period_records": [first, last],
        "problem": None if result.ok else f"record {result.bad_seq}: {result.reason}",
    }
