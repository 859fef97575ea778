"""Delivering one inject of a running exercise, by kind: an alert through the
alert pipeline, a message on the timeline, an external evidence item, a
change of severity or status, a question as a task. Each runs in the
worker's transaction and returns what it made, for the run's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts import service as alert_service
from fireline.alerts.models import Alert, AlertGroup, Integration
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.catalog.service import find_service
from fireline.core.audit import Actor
from fireline.core.deps import Principal
from fireline.exercises.schema import FACILITATOR, Inject
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.evidence import service as evidence
from fireline.security.evidence.metadata import Details

# The alert pipeline's door for exercises: one per service, so exercise
# alerts are easy to tell from monitoring's.
INTEGRATION = "fireline exercises"
INJECT_EVENT = "exercise_inject"


def deliver(
    session: Session,
    plan: Plan,
    facilitator: Principal,
    now: datetime,
    incident: Incident,
    run_id: int,
    inject: Inject,
) -> dict[str, Any]:
    """Deliver ``inject``; the outcome says what it made. Raises AppError when
    the incident no longer allows it (say, a status the team has moved past)."""
    outcome: dict[str, Any] = {}
    if inject.alert is not None:
        outcome = _alert(session, facilitator, now, incident, run_id, inject)
    elif inject.evidence is not None:
        spec = inject.evidence
        item = evidence.register(
            session,
            facilitator,
            now,
            incident,
            Details(
                item_type=spec.type,
                description=spec.description,
                source_host=spec.source_host,
                source_account=spec.source_account,
                storage_location=spec.storage_location,
                tool=spec.tool,
                collected_by=facilitator.name,
                collected_at=now,
                sha256=spec.sha256,
            ),
        )
        outcome = {"evidence_id": item.id, "label": item.label}
    elif inject.status is not None:
        spec_ = inject.status
        if spec_.severity is not None and spec_.severity != incident.severity:
            incidents.change_severity(
                session, plan, facilitator, now, incident, spec_.severity, spec_.reason
            )
        if spec_.status is not None and spec_.status != incident.status:
            incidents.change_status(
                session, plan, facilitator, now, incident, spec_.status, reason=spec_.reason
            )
        outcome = {"severity": incident.severity, "status": incident.status}
    elif inject.question is not None:
        task = work.add_task(
            session, None, now, incident, title=inject.question.text, role=inject.question.role
        )
        outcome = {"task_id": task.id}
    _announce(session, now, incident, run_id, inject)
    return outcome


def _announce(
    session: Session, now: datetime, incident: Incident, run_id: int, inject: Inject
) -> None:
    """The inject on the timeline, as the team hears it."""
    if inject.message is not None:
        speaker = inject.message.from_
        who = (
            "The facilitator" if speaker == FACILITATOR else speaker.replace("_", " ").capitalize()
        )
        body = f"{who}: {inject.message.text}"
    else:
        body = inject.summary
    incidents.record_event(
        session,
        incident,
        kind=INJECT_EVENT,
        principal=None,
        now=now,
        body=f"Exercise inject: {body}",
        data={"run_id": run_id, "inject": inject.key, "inject_kind": inject.kind},
    )


def _alert(
    session: Session,
    facilitator: Principal,
    now: datetime,
    incident: Incident,
    run_id: int,
    inject: Inject,
) -> dict[str, Any]:
    """The alert goes through the pipeline like monitoring's; its group joins
    the exercise incident at once, so the guard keeps its page quiet unless
    the run chose notifications."""
    assert inject.alert is not None
    spec = inject.alert
    service = find_service(session, spec.service)
    integration = session.scalar(
        select(Integration).where(
            Integration.service_id == service.id,
            Integration.name == INTEGRATION,
            Integration.revoked_at.is_(None),
        )
    )
    if integration is None:
        integration, _ = alert_service.create_integration(
            session,
            actor=Actor.user(facilitator.user_id, facilitator.email),
            now=now,
            spec=alert_service.IntegrationSpec(
                service=service.slug, kind="pagerduty", name=INTEGRATION
            ),
        )
    dedup_key = f"exercise-{run_id}-{inject.key}"
    alert = AlertIn(
        dedup_key=dedup_key,
        action=Action.trigger,
        severity=Severity(spec.severity),
        summary=f"[EXERCISE] {spec.summary}"[:1000],
        source=spec.source or "fireline exercise",
        labels={**spec.labels, "exercise": incident.ref},
        # Its own group: an exercise alert never joins a real one.
        group_hint=f"exercise-{run_id}-{inject.key}",
        raw={"exercise_run": run_id, "inject": inject.key},
    )
    submission = pipeline.Submission(integration.id, integration.key_hash, [alert])
    pipeline.apply(session, [submission], now)
    session.expire_all()
    group_id = session.scalar(
        select(Alert.group_id).where(
            Alert.integration_id == integration.id, Alert.dedup_key == dedup_key
        )
    )
    group = session.get(AlertGroup, group_id) if group_id is not None else None
    if group is None:
        return {"dedup_key": dedup_key, "service": service.slug}
    group.incident_id = incident.id
    alert_service.group_event(session, group, "incident", f"attached to {incident.ref}", now)
    return {"dedup_key": dedup_key, "service": service.slug, "alert_group": group.ref}
