"""Read-side queries for alert groups and alerts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from fireline.alerts.models import Alert, AlertGroup, AlertGroupEvent
from fireline.catalog.models import Service
from fireline.core.errors import InvalidInput

STATUSES = ("triggered", "acknowledged", "resolved", "silenced")


@dataclass
class GroupFilter:
    status: str | None = None  # one of STATUSES, or "open"
    service: str | None = None
    limit: int = 50
    before_id: int | None = None

    def __post_init__(self) -> None:
        if self.status not in (None, "open", *STATUSES):
            raise InvalidInput(f"expected open or one of {', '.join(STATUSES)}", field="status")
        if not 1 <= self.limit <= 500:
            raise InvalidInput("expected 1 to 500", field="limit")


def list_groups(session: Session, flt: GroupFilter) -> list[AlertGroup]:
    query = select(AlertGroup).options(joinedload(AlertGroup.service))
    if flt.status == "open":
        query = query.where(AlertGroup.is_open)
    elif flt.status:
        query = query.where(AlertGroup.status == flt.status)
    if flt.service:
        query = query.join(Service, Service.id == AlertGroup.service_id).where(
            Service.slug == flt.service
        )
    if flt.before_id:
        query = query.where(AlertGroup.id < flt.before_id)
    return list(session.scalars(query.order_by(AlertGroup.id.desc()).limit(flt.limit)))


def open_counts(session: Session) -> dict[str, int]:
    """How many open alert groups there are in each status."""
    rows = session.execute(
        select(AlertGroup.status, func.count())
        .where(AlertGroup.is_open)
        .group_by(AlertGroup.status)
    )
    return {status: count for status, count in rows}


def group_alerts(session: Session, group_id: int, limit: int = 200) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.group_id == group_id)
            .order_by(Alert.is_open.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def group_events(session: Session, group_id: int) -> list[AlertGroupEvent]:
    return list(
        session.scalars(
            select(AlertGroupEvent)
            .options(joinedload(AlertGroupEvent.actor))
            .where(AlertGroupEvent.group_id == group_id)
            .order_by(AlertGroupEvent.id)
        )
    )
