"""Change events: stored per service, listed beside alerts and incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fireline.alerts.keys import KnownIntegration
from fireline.alerts.models import ChangeEvent
from fireline.alerts.shape import ChangeIn
from fireline.core.db import Database

RECENT = timedelta(hours=24)


def store_change(db: Database, known: KnownIntegration, change: ChangeIn, now: datetime) -> int:
    with db.transaction() as session:
        row = ChangeEvent(
            service_id=known.service_id,
            integration_id=known.id,
            kind=change.kind,
            summary=change.summary,
            source=change.source,
            at=change.timestamp,
            received_at=now,
            links=[{"href": link.href, "text": link.text} for link in change.links],
            details=change.details,
            raw=change.raw,
        )
        session.add(row)
        session.flush()
        return row.id


def list_changes(
    session: Session,
    *,
    service_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[ChangeEvent]:
    query = select(ChangeEvent).options(joinedload(ChangeEvent.service))
    if service_ids is not None:
        query = query.where(ChangeEvent.service_id.in_(list(service_ids)))
    if since is not None:
        query = query.where(ChangeEvent.at >= since)
    if until is not None:
        query = query.where(ChangeEvent.at <= until)
    return list(session.scalars(query.order_by(ChangeEvent.at.desc()).limit(limit)))


def recent_changes(
    session: Session, service_ids: Sequence[int], around: datetime, window: timedelta = RECENT
) -> list[ChangeEvent]:
    """What changed on these services in the day before ``around`` (and just after it)."""
    if not service_ids:
        return []
    return list_changes(
        session,
        service_ids=service_ids,
        since=around - window,
        until=around + timedelta(hours=1),
        limit=20,
    )
