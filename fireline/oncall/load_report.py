"""The on-call load report: gathers who was notified and who was on call
from the database, and hands them to :mod:`fireline.oncall.load`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fireline.core.errors import InvalidInput, NotFound
from fireline.oncall import load, schedules
from fireline.oncall.models import Notification, Schedule
from fireline.people.models import Team, TeamMembership, User
from fireline.people.service import find_team

MAX_DAYS = 183
# Each person's days start at their own midnight, which lies up to 14 hours
# either side of UTC's: the rows read from the database cover that much more.
_ZONE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class Report:
    first: date
    last: date  # exclusive
    team: Team | None
    people: list[tuple[User, load.PersonLoad]]


def check_days(first: date, last: date) -> None:
    if last <= first:
        raise InvalidInput("the end must come after the start", field="end")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(f"at most {MAX_DAYS} days at once", field="end")


def load_report(
    session: Session, *, first: date, last: date, team_ref: str | None = None
) -> Report:
    """Each person's load over the days [first, last) of their own calendar.

    With a team: every member, even those with nothing to report (a quiet
    week is part of a fair comparison). Without: everyone who was paged or
    on call in those days."""
    check_days(first, last)
    team = _team(session, team_ref) if team_ref else None
    members = _member_ids(session, team) if team else None
    start = datetime.combine(first, time(), UTC) - _ZONE_SLACK
    end = datetime.combine(last, time(), UTC) + _ZONE_SLACK
    sent = _sent(session, start, end, members)
    on_call = _on_call(session, start, end, members)
    wanted = (
        members if members is not None else {s.user_id for s in sent} | {o.user_id for o in on_call}
    )
    users = (
        list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.name, User.id)))
        if wanted
        else []
    )
    loads = load.report([load.Person(u.id, u.time_zone) for u in users], sent, on_call, first, last)
    return Report(first, last, team, list(zip(users, loads, strict=True)))


def _team(session: Session, ref: str) -> Team:
    try:
        return find_team(session, ref)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="team") from None


def _member_ids(session: Session, team: Team) -> set[int]:
    return set(
        session.scalars(select(TeamMembership.user_id).where(TeamMembership.team_id == team.id))
    )


def _sent(
    session: Session, start: datetime, end: datetime, members: set[int] | None
) -> list[load.Sent]:
    at = func.coalesce(Notification.sent_at, Notification.created_at)
    query = select(Notification.user_id, Notification.page_id, at).where(
        Notification.kind == "page",
        Notification.status == "sent",
        Notification.page_id.is_not(None),
        at >= start,
        at < end,
    )
    if members is not None:
        query = query.where(Notification.user_id.in_(members))
    return [
        load.Sent(user_id, page_id, moment)
        for user_id, page_id, moment in session.execute(query)
        if page_id is not None
    ]


def _on_call(
    session: Session, start: datetime, end: datetime, members: set[int] | None
) -> list[load.OnCall]:
    found = []
    every_schedule = session.scalars(
        select(Schedule).options(selectinload(Schedule.layers)).order_by(Schedule.id)
    )
    for schedule in every_schedule:
        for shift in schedules.shifts(session, schedule, start, end).final:
            if members is None or shift.user_id in members:
                found.append(load.OnCall(shift.user_id, shift.start, shift.end))
    return found
