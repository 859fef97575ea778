"""Jobs the alert pipeline leaves behind: paging a new group, declaring or
attaching an incident for it, and the sweep that resolves quiet alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts.models import Alert, AlertGroup, Integration, RoutingRule
from fireline.alerts.service import group_event
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.core.jobs.registry import JobContext, job_handler, periodic
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident, IncidentService
from fireline.plan import load_effective_plan

SWEEP_JOB = "alerts.sweep"
SWEEP_BATCH = 5000
periodic(SWEEP_JOB, timedelta(minutes=1))


@job_handler(pipeline.PAGE_JOB)
def page(ctx: JobContext) -> None:
    """Hand the group to the on-call engine; until a service has an escalation
    policy, say so on the group's timeline instead of failing silently."""
    group = ctx.session.get(AlertGroup, ctx.payload["group_id"])
    if group is None or group.status not in ("triggered",):
        return  # acknowledged, resolved or silenced before the page went out
    policy = group.escalation_policy
    if policy is None:
        group_event(
            ctx.session,
            group,
            "page_skipped",
            f"no escalation policy for {group.service.name}: the group waits in the alert list",
            ctx.now,
            data={"urgency": group.urgency},
        )
        return
    group_event(
        ctx.session,
        group,
        "page_requested",
        f"paging through escalation policy {policy} ({group.urgency} urgency)",
        ctx.now,
        data={"policy": policy, "urgency": group.urgency},
    )


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
        .where(IncidentService.service_id == service_id, Incident.is_open)
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
