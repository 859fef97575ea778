"""Use cases of stakeholder updates.

An update is a timeline event of kind ``stakeholder_update``: it is part of
the incident's record, in the audit chain, and restarts the cadence. Who
receives it is worked out by a job when it is sent, from the incident's
followers and the plan's audiences for its severity.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fireline.comms.stakeholders.cadence import Cadence, cadence
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.core.jobs import queue
from fireline.incidents.models import Incident, TimelineEvent
from fireline.incidents.service import record_event
from fireline.plan.schema import Plan

UPDATE_KIND = "stakeholder_update"
DUE_KIND = "stakeholder_update_due"
SEND_JOB = "stakeholders.send"
MAX_BODY = 10_000


def post_update(
    session: Session, principal: Principal, now: datetime, incident: Incident, *, body: str
) -> TimelineEvent:
    text = body.strip()
    if not text:
        raise InvalidInput("write what stakeholders should know", field="body")
    if len(text) > MAX_BODY:
        raise InvalidInput(f"at most {MAX_BODY} characters", field="body")
    event = record_event(
        session,
        incident,
        kind=UPDATE_KIND,
        principal=principal,
        now=now,
        body=text,
        data={"severity": incident.severity, "status": incident.status},
    )
    queue.enqueue(
        session,
        kind=SEND_JOB,
        payload={"event_id": event.id},
        now=now,
        idempotency_key=f"{SEND_JOB}:{event.id}",
    )
    return event


def updates(session: Session, incident: Incident) -> list[TimelineEvent]:
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id, TimelineEvent.kind == UPDATE_KIND)
            .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
        )
    )


def last_update_at(session: Session, incident: Incident) -> datetime | None:
    return session.scalar(
        select(func.max(TimelineEvent.occurred_at)).where(
            TimelineEvent.incident_id == incident.id, TimelineEvent.kind == UPDATE_KIND
        )
    )


def cadence_of(session: Session, plan: Plan, incident: Incident, now: datetime) -> Cadence:
    try:
        every = plan.severity(incident.severity).update_every.span
    except KeyError:  # a severity the plan no longer has
        every = None
    return cadence(
        every=every,
        declared_at=incident.declared_at,
        last_update_at=last_update_at(session, incident),
        is_open=incident.is_open,
        now=now,
    )
