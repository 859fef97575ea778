"""An attached obligation's clocks, read from its rows, and the queries that
find attached obligations. No writes here (see ``service``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from fireline.core.deps import Principal
from fireline.core.errors import NotFound
from fireline.incidents import queries
from fireline.incidents.models import Incident
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.schema import Plan
from fireline.security.obligations import catalog
from fireline.security.obligations.clocks import Clock, Obligation, clocks, open_deadlines
from fireline.security.obligations.models import IncidentObligation


def definition(row: IncidentObligation) -> Obligation:
    return catalog.from_data(row.definition)


def started(row: IncidentObligation) -> dict[str, datetime]:
    """Each recorded moment's time; a moment recorded again replaces the earlier record."""
    return {moment.key: moment.occurred_at for moment in row.moments}


def submitted(row: IncidentObligation) -> dict[str, datetime]:
    return {s.stage_key: s.submitted_at for s in row.submissions}


def conditions(row: IncidentObligation) -> dict[str, bool]:
    return {key: bool(value) for key, value in (row.conditions or {}).items()}


def clocks_of(
    plan: Plan, row: IncidentObligation, now: datetime, calendar: BusinessCalendar | None = None
) -> list[Clock]:
    return clocks(
        definition(row),
        started=started(row),
        submitted=submitted(row),
        conditions=conditions(row),
        calendar=calendar or BusinessCalendar.from_plan(plan),
        now=now,
        due_soon=catalog.due_soon_window(plan),
    )


def _with_history() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(IncidentObligation.moments),
        selectinload(IncidentObligation.submissions),
        selectinload(IncidentObligation.attached_by),
        selectinload(IncidentObligation.detached_by),
    )


def attached(
    session: Session, incident: Incident, *, include_detached: bool = False
) -> list[IncidentObligation]:
    query = (
        select(IncidentObligation)
        .options(*_with_history())
        .where(IncidentObligation.incident_id == incident.id)
        .order_by(IncidentObligation.attached_at, IncidentObligation.id)
    )
    if not include_detached:
        query = query.where(IncidentObligation.detached_at.is_(None))
    return list(session.scalars(query))


def find_attached(session: Session, incident: Incident, key: str) -> IncidentObligation:
    for row in attached(session, incident):
        if row.key == key:
            return row
    keys = ", ".join(row.key for row in attached(session, incident)) or "none"
    raise NotFound(
        f"{incident.ref} has no obligation {key[:64]!r} attached (attached: {keys})", field="key"
    )


def open_deadlines_for(
    session: Session, plan: Plan, principal: Principal, now: datetime
) -> list[tuple[IncidentObligation, Clock]]:
    """Every running deadline of the obligations on incidents the caller may
    see, soonest first. Closed incidents count: a final report is often due
    a month after the incident is over."""
    rows = session.scalars(
        select(IncidentObligation)
        .join(Incident, Incident.id == IncidentObligation.incident_id)
        .options(*_with_history(), selectinload(IncidentObligation.incident))
        .where(IncidentObligation.detached_at.is_(None), queries.visible_to(principal))
    )
    calendar = BusinessCalendar.from_plan(plan)
    return open_deadlines([(row, clocks_of(plan, row, now, calendar)) for row in rows])
