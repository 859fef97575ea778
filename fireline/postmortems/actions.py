"""Action items across incidents: the board's query, the closure-on-time
rate over what the caller may see, and editing every field of one item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.incidents import queries, work
from fireline.incidents.models import ActionItem, Incident
from fireline.people.models import Team, TeamMembership
from fireline.people.service import find_user
from fireline.postmortems import schedule
from fireline.postmortems.closure import ClosureRate, ItemDates, closure_rate


@dataclass(frozen=True)
class BoardFilter:
    status: str = "open"  # open (not closed), closed, all, or one status
    owner: str | None = None  # user id or e-mail
    team: str | None = None  # team slug: items owned by its members
    overdue: bool = False
    priority: str | None = None
    limit: int = 200


def board(
    session: Session, principal: Principal, zone: ZoneInfo, now: datetime, filters: BoardFilter
) -> list[tuple[ActionItem, Incident]]:
    """Items of the incidents the caller may see, with their incident, soonest due first."""
    if not 1 <= filters.limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000", field="limit")
    query = (
        select(ActionItem, Incident)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(queries.visible_to(principal))
        .options(joinedload(ActionItem.owner))
    )
    if filters.status == "open":
        query = query.where(ActionItem.status.not_in(work.CLOSED_ITEM_STATUSES))
    elif filters.status == "closed":
        query = query.where(ActionItem.status.in_(work.CLOSED_ITEM_STATUSES))
    elif filters.status != "all":
        _choice(filters.status, work.ITEM_STATUSES, "status")
        query = query.where(ActionItem.status == filters.status)
    if filters.owner:
        query = query.where(ActionItem.owner_id == _owner_id(session, filters.owner))
    if filters.team:
        team = session.scalar(select(Team).where(Team.slug == filters.team))
        if team is None:
            raise InvalidInput(f"no team {filters.team!r}", field="team")
        members = select(TeamMembership.user_id).where(TeamMembership.team_id == team.id)
        query = query.where(ActionItem.owner_id.in_(members))
    if filters.priority:
        query = query.where(
            ActionItem.priority == _choice(filters.priority, work.ITEM_PRIORITIES, "priority")
        )
    if filters.overdue:
        query = query.where(
            ActionItem.status.not_in(work.CLOSED_ITEM_STATUSES),
            ActionItem.due_date < schedule.today(zone, now),
        )
    query = query.order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
    return [(item, incident) for item, incident in session.execute(query.limit(filters.limit))]


def _visible(principal: Principal) -> Select[Any]:
    return (
        select(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(queries.visible_to(principal))
    )


def closure(
    session: Session,
    principal: Principal,
    zone: ZoneInfo,
    now: datetime,
    *,
    since: date | None = None,
) -> ClosureRate:
    """The closure-on-time rate of the items the caller may see, exercises left
    out; ``since``: only items due on or after that day."""
    query = _visible(principal).where(Incident.is_exercise.is_(False))
    if since is not None:
        query = query.where(ActionItem.due_date >= since)
    items = [
        ItemDates(i.due_date, i.closed_at, wont_do=i.status == "wont_do")
        for i in session.scalars(query)
    ]
    return closure_rate(items, zone, now)


def is_overdue(item: ActionItem, zone: ZoneInfo, now: datetime) -> bool:
    return item.status not in work.CLOSED_ITEM_STATUSES and schedule.is_overdue(
        zone, item.due_date, now
    )


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"unknown {field} {value!r}; expected one of {', '.join(allowed)}", field=field
        )
    return value


def _owner_id(session: Session, ref: str) -> int:
    try:
        return find_user(session, ref).id
    except NotFound as exc:
        raise InvalidInput(exc.message, field="owner") from None
