"""What fireline knows about an incident, read into the plain facts that the
draft template writes out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts.models import AlertGroup
from fireline.incidents import queries, work
from fireline.incidents.models import Incident, TimelineEvent
from fireline.plan.schema import Plan
from fireline.playbooks import service as playbooks
from fireline.postmortems.template import ActionFact, Facts, KeyEvent
from fireline.security.service import current_classification

KEY_KINDS = ("declared", "status_changed", "severity_changed", "type_changed")
SETTLED = ("done", "skipped", "not_applicable")


def gather(session: Session, plan: Plan, incident: Incident) -> Facts:
    classification = current_classification(session, incident)
    values = classification.values if classification is not None else {}
    events = [
        KeyEvent(e.occurred_at, describe(plan, e))
        for e in queries.timeline(session, incident)
        if e.pinned or e.kind in KEY_KINDS
    ]
    alert_groups = session.scalars(
        select(AlertGroup.title)
        .where(AlertGroup.incident_id == incident.id)
        .order_by(AlertGroup.id)
    ).all()
    runs = [
        (run.playbook_name, sum(1 for s in run.steps if s.status in SETTLED), len(run.steps))
        for run in playbooks.runs(session, incident)
    ]
    return Facts(
        ref=incident.ref,
        title=incident.title,
        summary=incident.summary,
        severity=incident.severity,
        severity_name=_severity_name(plan, incident.severity),
        type_name=_type_name(plan, incident.type_key),
        time_zone=plan.organisation.time_zone,
        started_at=incident.started_at,
        declared_at=incident.declared_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        services=tuple(s.name for s in incident.services),
        commander=incident.commander.name if incident.commander else None,
        roles=tuple(
            (_role_name(plan, r.role_key), r.user.name)
            for r in incident.roles
            if r.ended_at is None and r.role_key != "incident_commander"
        ),
        alert_groups=tuple(alert_groups),
        records=values.get("records"),
        people=values.get("people"),
        data_kinds=tuple(values.get("data") or ()),
        events=tuple(events),
        playbooks=tuple(runs),
        action_items=tuple(
            ActionFact(
                title=i.title,
                owner=i.owner.name if i.owner else None,
                due_date=i.due_date,
                priority=i.priority,
                status=i.status,
                ticket_url=i.ticket_url,
            )
            for i in work.action_items(session, incident)
        ),
    )


def describe(plan: Plan, event: TimelineEvent) -> str:
    """One line for the timeline table."""
    data, body = event.data, event.body.strip()
    who = f" ({event.actor.name})" if event.actor is not None else ""
    if event.kind == "declared":
        text = f"Declared as {data.get('severity', '?')}{who}"
    elif event.kind == "status_changed":
        text = f"Status {data.get('from')} → {data.get('to')}{who}"
    elif event.kind == "severity_changed":
        text = f"Severity {data.get('from')} → {data.get('to')}{who}"
    elif event.kind == "type_changed":
        text = f"Type {data.get('from')} → {data.get('to')}{who}"
    else:
        text = event.kind.replace("_", " ").capitalize() + who
    return f"{text}: {body}" if body else text


def _severity_name(plan: Plan, key: str) -> str:
    try:
        return plan.severity(key).name
    except KeyError:
        return key


def _type_name(plan: Plan, key: str) -> str:
    try:
        return plan.incident_type(key).name
    except KeyError:
        return key


def _role_name(plan: Plan, key: str) -> str:
    try:
        return plan.role(key).name
    except KeyError:
        return key
