"""Calendar feeds behind secret URLs: make one for a schedule or for a
person's own shifts, list them, revoke them, and render one for a token.

The URL is the only credential a calendar client can carry, so it holds a
random token and only the token's SHA-256 is stored (as for API tokens): the
URL is shown once, when the feed is made. A feed shows what anyone who can
see schedules already sees, which is why any signed-in person may make a
schedule feed, and may revoke one that leaked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, NotFound
from fireline.core.secrets import hash_token, new_token
from fireline.oncall import feed_content, schedules
from fireline.oncall.ical import export_calendar
from fireline.oncall.models import CalendarFeed, Schedule
from fireline.oncall.schedule import Shift
from fireline.people.models import User

TOKEN_PREFIX = "flc_"
# Enough for every calendar app someone uses; a bound so a script gone wrong
# cannot fill the table.
MAX_ACTIVE = 20
# Tokens are 36 characters; anything much longer is not one of ours, and is
# not worth hashing.
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class IssuedFeed:
    row: CalendarFeed
    token: str  # shown once, never stored


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calendar/{token}.ics"


def create_schedule_feed(
    session: Session, *, actor: Actor, now: datetime, schedule: Schedule
) -> IssuedFeed:
    _check_room(session, CalendarFeed.schedule_id == schedule.id)
    issued = _issue(session, now, schedule_id=schedule.id)
    _record(session, actor, now, "calendar_feed.created", "schedule", schedule.id, issued.row)
    return issued


def create_person_feed(session: Session, *, actor: Actor, now: datetime, user: User) -> IssuedFeed:
    _check_room(session, CalendarFeed.user_id == user.id)
    issued = _issue(session, now, user_id=user.id)
    _record(session, actor, now, "calendar_feed.created", "user", user.id, issued.row)
    return issued


def active_feeds(
    session: Session, *, schedule_id: int | None = None, user_id: int | None = None
) -> list[CalendarFeed]:
    query = select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))
    if schedule_id is not None:
        query = query.where(CalendarFeed.schedule_id == schedule_id)
    if user_id is not None:
        query = query.where(CalendarFeed.user_id == user_id)
    return list(session.scalars(query.order_by(CalendarFeed.id)))


def find_feed(
    session: Session, feed_id: int, *, schedule_id: int | None = None, user_id: int | None = None
) -> CalendarFeed:
    """A feed of that schedule or that person; another owner's feed is as unknown as none."""
    row = session.get(CalendarFeed, feed_id)
    if (
        row is None
        or (schedule_id is not None and row.schedule_id != schedule_id)
        or (user_id is not None and row.user_id != user_id)
    ):
        raise NotFound(f"no calendar feed {feed_id}", field="feed")
    return row


def revoke_feed(session: Session, *, actor: Actor, now: datetime, feed: CalendarFeed) -> None:
    """Stop the feed's URL from working; revoking twice changes nothing."""
    if feed.revoked_at is not None:
        return
    feed.revoked_at = now
    if feed.schedule_id is not None:
        _record(session, actor, now, "calendar_feed.revoked", "schedule", feed.schedule_id, feed)
    else:
        _record(session, actor, now, "calendar_feed.revoked", "user", feed.user_id or 0, feed)


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    """The live feed behind ``token``; None for unknown, revoked, or a person no longer active."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
    return row


def render(session: Session, feed: CalendarFeed, now: datetime) -> bytes:
    """The feed's iCalendar body for the window around ``now``."""
    if feed.schedule_id is not None:
        schedule = session.get(Schedule, feed.schedule_id)
        if schedule is None:
            raise NotFound("no such calendar")
        shifts = _final_shifts(session, schedule, now)
        return export_calendar(
            shifts,
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            people=_people(session, {s.user_id for s in shifts}),
            now=feed_content.today(now),
        )
    user = session.get(User, feed.user_id)
    if user is None:
        raise NotFound("no such calendar")
    people = {user.id: (user.name, user.email)}
    parts = []
    every_schedule = session.scalars(
        select(Schedule).options(selectinload(Schedule.layers)).order_by(Schedule.id)
    )
    for schedule in every_schedule:
        mine = [s for s in _final_shifts(session, schedule, now) if s.user_id == user.id]
        if mine:
            parts.append(
                export_calendar(
                    mine,
                    schedule_id=schedule.id,
                    schedule_name=schedule.name,
                    people=people,
                    now=feed_content.today(now),
                    user_id=user.id,
                )
            )
    return feed_content.combine(parts, f"On call: {user.name}")


def _final_shifts(session: Session, schedule: Schedule, now: datetime) -> list[Shift]:
    start, end = feed_content.resolve_window(now)
    return feed_content.overlapping(schedules.shifts(session, schedule, start, end).final, now)


def _people(session: Session, user_ids: set[int]) -> dict[int, tuple[str, str]]:
    return {uid: (u.name, u.email) for uid, u in schedules.user_names(session, user_ids).items()}


def _check_room(session: Session, owner: ColumnElement[bool]) -> None:
    active = session.scalar(
        select(func.count(CalendarFeed.id)).where(owner, CalendarFeed.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE:
        raise Conflict(
            f"at most {MAX_ACTIVE} calendar feeds at once; revoke one you no longer use",
            field="feed",
        )


def _issue(
    session: Session, now: datetime, *, schedule_id: int | None = None, user_id: int | None = None
) -> IssuedFeed:
    token = new_token(TOKEN_PREFIX)
    row = CalendarFeed(
        token_hash=hash_token(token), schedule_id=schedule_id, user_id=user_id, created_at=now
    )
    session.add(row)
    session.flush()
    return IssuedFeed(row, token)


def _record(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    object_type: str,
    object_id: int,
    feed: CalendarFeed,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes={"feed": feed.id},
        now=now,
    )
