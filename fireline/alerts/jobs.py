"""Jobs the alert pipeline leaves behind: paging a new group, declaring or
attaching an incident for it, and the sweep that resolves quiet alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts import service as alert_service
from fireline.alerts.models import Alert, AlertGroup, Integration, RoutingRule
from fireline.alerts.service import add_group_event, group_event
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.core.deps import Principal
from fireline.core.errors import NotFound
from fireline.core.jobs.registry import JobContext, job_handler, periodic
from fireline.exercises.guard import may_notify
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident, IncidentService
from fireline.oncall import paging
from fireline.oncall.models import EscalationPolicy
from fireline.plan import load_effective_plan

SWEEP_JOB = "alerts.sweep"
SWEEP_BATCH = 5000
periodic(SWEEP_JOB, timedelta(minutes=1))


def _group_timeline(
    session: Session, group_id: int, kind: str, text: str, now: datetime, data: dict[str, Any]
) -> None:
    add_group_event(session, group_id, kind, text, now, data=data)


def _group_state(session: Session, group_id: int) -> str:
    group = session.get(AlertGroup, group_id)
    if group is None or not group.is_open:
        return "resolved"
    return "open" if group.status == "triggered" else "acknowledged"


def _group_act(
    session: Session, group_id: int, action: str, principal: Principal, now: datetime
) -> None:
    group = session.get(AlertGroup, group_id)
    if group is None:
        raise NotFound(f"alert group {group_id} is gone", field="page")
    if action == "acknowledge":
        alert_service.acknowledge(session, principal, now, group)
    elif action == "resolve":
        alert_service.resolve(session, principal, now, group)
    else:
        alert_service.escalate(session, principal, now, group)


def _group_reopen(session: Session, group_id: int, why: str, now: datetime) -> None:
    group = session.get(AlertGroup, group_id)
    if group is not None:
        alert_service.reopen(session, now, group, why)


paging.register_subject(
    "alert_group",
    paging.Subject(write=_group_timeline, state=_group_state, act=_group_act, reopen=_group_reopen),
)


@job_handler(pipeline.PAGE_JOB)
def page(ctx: JobContext) -> None:
    """Start paging through the group's escalation policy: the routing rule's
    when it names one, else the service's. Without either, say so on the
    group's timeline instead of failing silently."""
    session = ctx.session
    group = session.get(AlertGroup, ctx.payload["group_id"])
    if group is None or group.status not in ("triggered",):
        return  # acknowledged, resolved or silenced before the page went out
    incident = session.get(Incident, group.incident_id) if group.incident_id else None
    if incident is not None and not may_notify(incident):
        group_event(session, group, "page_skipped", f"{incident.ref} is an exercise", ctx.now)
        return
    running = paging.active_page(session, "alert_group", group.id)
    if running is not None:
        paging.escalate(session, running, ctx.now)
        return
    policy = _policy_for(session, group)
    if policy is None:
        wanted = f" ({group.escalation_policy} does not exist)" if group.escalation_policy else ""
        group_event(
            session,
            group,
            "page_skipped",
            f"no escalation policy for {group.service.name}{wanted}: the group waits in the alert list",
            ctx.now,
            data={"urgency": group.urgency},
        )
        return
    paging.start(
        session,
        subject_type="alert_group",
        subject_id=group.id,
        title=f"{group.ref} {group.title}",
        urgency=group.urgency,
        policy=policy,
        now=ctx.now,
    )


def _policy_for(session: Session, group: AlertGroup) -> EscalationPolicy | None:
    if group.escalation_policy:
        return session.scalar(
            select(EscalationPolicy).where(EscalationPolicy.slug == group.escalation_policy)
        )
    if group.service.escalation_policy_id is not None:
        return session.get(EscalationPolicy, group.service.escalation_policy_id)
    return None


@job_handler(pipeline.INCIDENT_JOB)
def declare_or_attach(ctx: JobContext) -> None:
    session = ctx.session
    group = session.get(AlertGroup, ctx.payload["group_id"])
    rule = session.get(RoutingRule, ctx.payload["rule_id"])
    if group is None or rule is None or group.incident_id is not None:
        return
    if rule.incident_action == "attach":
        incident = _open_incident_of(session, group.service_id)
        if incident is None:
            group_event(
                session,
                group,
                "not_attached",
                f"{group.service.name} has no open incident",
                ctx.now,
            )
            return
    else:
        plan = load_effective_plan(ctx.settings.plan)
        incident, _ = incidents.declare(
            session,
            plan,
            None,
            ctx.now,
            incidents.Declaration(
                title=group.title[:300],
                type=rule.incident_type or "",
                severity=rule.incident_severity,
                summary=f"Declared by routing rule '{rule.name}' for alert group {group.ref}.",
                services=[group.service.slug],
                page_on_call=False,  # the group's own page is already waking them
            ),
            idempotency_key=f"alert-group-{group.id}",
        )
    group.incident_id = incident.id
    group_event(session, group, "incident", f"attached to {incident.ref}", ctx.now)
    incidents.record_event(
        session,
        incident,
        kind="alert_group_attached",
        principal=None,
        now=ctx.now,
        body=f"{group.ref}: {group.title}",
        data={"alert_group_id": group.id, "rule": rule.name},
    )


def _open_incident_of(session: Session, service_id: int) -> Incident | None:
    return session.scalar(
        select(Incident)
        .join(IncidentService, IncidentService.incident_id == Incident.id)
        .where(
            IncidentService.service_id == service_id,
            Incident.is_open,
            Incident.is_exercise.is_(False),  # real alerts never join a drill
        )
        .order_by(Incident.declared_at.desc())
        .limit(1)
    )


@job_handler(SWEEP_JOB)
def sweep(ctx: JobContext) -> None:
    """Resolve open alerts not seen for their integration's quiet period, for
    sources that never send a resolve (or lost one: a deleted Prometheus rule)."""
    session = ctx.session
    quiet = session.execute(
        select(Integration.id, Integration.key_hash, Integration.auto_resolve_minutes).where(
            Integration.auto_resolve_minutes.is_not(None), Integration.revoked_at.is_(None)
        )
    ).all()
    for integration_id, key_hash, minutes in quiet:
        cutoff = ctx.now - timedelta(minutes=minutes or 0)
        keys = session.scalars(
            select(Alert.dedup_key)
            .where(
                Alert.is_open,
                Alert.integration_id == integration_id,
                Alert.last_seen_at < cutoff,
            )
            .limit(SWEEP_BATCH)
        ).all()
        if keys:
            pipeline.apply(
                session,
                [pipeline.Submission(integration_id, key_hash, [_quiet_resolve(k) for k in keys])],
                ctx.now,
            )


def _quiet_resolve(dedup_key: str) -> AlertIn:
    return AlertIn(
        dedup_key=dedup_key,
        action=Action.resolve,
        severity=Severity.info,
        summary="resolved after its quiet period",
        raw={"resolved_by": "quiet period"},
    )
