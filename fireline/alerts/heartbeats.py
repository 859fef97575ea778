"""Heartbeats: a ping resets the clock; a missed ping raises an alert through
the normal pipeline, and the next ping resolves it.

Each ping schedules one check job at its deadline. The check only fires when
that deadline is still the current one, so a heartbeat pinging every minute
leaves a trail of jobs that each find nothing to do."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts.keys import KnownIntegration
from fireline.alerts.models import Heartbeat, Integration
from fireline.alerts.pipeline import Submission
from fireline.alerts.sources.heartbeat import missed_alert, recovered_alert
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.jobs.registry import JobContext, job_handler

CHECK_JOB = "alerts.heartbeat_check"


def schedule_check(session: Session, heartbeat: Heartbeat, now: datetime) -> None:
    assert heartbeat.due_at is not None
    queue.enqueue(
        session,
        kind=CHECK_JOB,
        payload={"heartbeat_id": heartbeat.id, "due_at": heartbeat.due_at.isoformat()},
        now=now,
        due_at=heartbeat.due_at,
        idempotency_key=f"{CHECK_JOB}:{heartbeat.id}:{heartbeat.due_at.isoformat()}",
    )


def deadline(heartbeat: Heartbeat, since: datetime) -> datetime:
    return since + timedelta(seconds=heartbeat.period_seconds + heartbeat.grace_seconds)


def ping(db: Database, known: KnownIntegration, now: datetime) -> str:
    with db.transaction() as session:
        pipeline.lock_alerts(session)
        heartbeat = session.scalar(select(Heartbeat).where(Heartbeat.integration_id == known.id))
        if heartbeat is None:
            return "unknown"
        was_down = heartbeat.status == "down"
        heartbeat.last_ping_at = now
        heartbeat.status = "up"
        heartbeat.due_at = deadline(heartbeat, now)
        schedule_check(session, heartbeat, now)
        if was_down:
            name = heartbeat.integration.name
            alert = recovered_alert(name, heartbeat.id, heartbeat.last_ping_at, now)
            pipeline.apply(session, [Submission(known.id, known.key_hash, [alert])], now)
        return heartbeat.status


@job_handler(CHECK_JOB)
def check(ctx: JobContext) -> None:
    session = ctx.session
    heartbeat = session.get(Heartbeat, ctx.payload["heartbeat_id"])
    if heartbeat is None or heartbeat.due_at is None:
        return
    if heartbeat.due_at.isoformat() != ctx.payload["due_at"] or heartbeat.status == "down":
        return  # pinged since, or already down
    if heartbeat.due_at > ctx.now:
        return
    integration: Integration = heartbeat.integration
    if integration.revoked_at is not None:
        return
    heartbeat.status = "down"
    alert = missed_alert(integration.name, heartbeat.id, heartbeat.last_ping_at, ctx.now)
    pipeline.apply(session, [Submission(integration.id, integration.key_hash, [alert])], ctx.now)
