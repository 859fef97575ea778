"""Use cases for silences and maintenance windows: they keep matching alerts
from paging anyone, and every alert is still kept. One transaction per use
case; the caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fireline.alerts import routing_context
from fireline.alerts.models import MaintenanceWindow, Silence
from fireline.alerts.rules import matchers_field
from fireline.catalog.models import Service
from fireline.catalog.service import find_service
from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound

REPEATS = ("none", "daily", "weekly")
MAX_SILENCE = timedelta(days=365)


def add_silence(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    matchers: str,
    ends_at: datetime,
    comment: str,
    starts_at: datetime | None = None,
) -> Silence:
    parsed = matchers_field(matchers, field="matchers")
    starts = starts_at or now
    if not comment.strip():
        raise InvalidInput("say why: a comment is required", field="comment")
    if ends_at <= starts:
        raise InvalidInput("the silence must end after it starts", field="ends_at")
    if ends_at - starts > MAX_SILENCE:
        raise InvalidInput("a silence lasts at most a year", field="ends_at")
    row = Silence(
        matchers=parsed,
        starts_at=starts,
        ends_at=ends_at,
        comment=comment.strip()[:2000],
        created_by_id=principal.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    routing_context.forget()
    audit.record(
        session,
        actor=principal.actor,
        action="silence.created",
        object_type="silence",
        object_id=row.id,
        changes={"matchers": parsed, "ends_at": ends_at.isoformat(), "comment": row.comment},
        now=now,
    )
    return row


def expire_silence(
    session: Session, *, principal: Principal, now: datetime, silence_id: int
) -> Silence:
    row = session.get(Silence, silence_id)
    if row is None:
        raise NotFound(f"no silence {silence_id}")
    if row.expired_at is None and row.ends_at > now:
        row.expired_at = now
        routing_context.forget()
        audit.record(
            session,
            actor=principal.actor,
            action="silence.expired",
            object_type="silence",
            object_id=row.id,
            changes={},
            now=now,
        )
    return row


def silence_state(silence: Silence, now: datetime) -> str:
    if silence.expired_at is not None or silence.ends_at <= now:
        return "expired"
    return "active" if silence.starts_at <= now else "pending"


def add_maintenance(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    service: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    repeat: str = "none",
    repeat_until: datetime | None = None,
) -> MaintenanceWindow:
    found: Service = find_service(session, service)
    if not title.strip():
        raise InvalidInput("a title is required", field="title")
    if ends_at <= starts_at:
        raise InvalidInput("the window must end after it starts", field="ends_at")
    if repeat not in REPEATS:
        raise InvalidInput("expected none, daily or weekly", field="repeat")
    length = ends_at - starts_at
    if repeat != "none" and length > timedelta(days=1 if repeat == "daily" else 7):
        raise InvalidInput("a repeating window must be shorter than its period", field="ends_at")
    row = MaintenanceWindow(
        service_id=found.id,
        title=title.strip()[:300],
        starts_at=starts_at,
        ends_at=ends_at,
        repeat=repeat,
        repeat_until=repeat_until,
        created_by_id=principal.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    routing_context.forget()
    audit.record(
        session,
        actor=principal.actor,
        action="maintenance.created",
        object_type="maintenance_window",
        object_id=row.id,
        changes={"service": found.slug, "title": row.title, "repeat": repeat},
        now=now,
    )
    return row


def delete_maintenance(
    session: Session, *, principal: Principal, now: datetime, window_id: int
) -> None:
    row = session.get(MaintenanceWindow, window_id)
    if row is None:
        raise NotFound(f"no maintenance window {window_id}")
    session.delete(row)
    routing_context.forget()
    audit.record(
        session,
        actor=principal.actor,
        action="maintenance.deleted",
        object_type="maintenance_window",
        object_id=window_id,
        changes={"title": row.title},
        now=now,
    )
