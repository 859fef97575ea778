"""Imported layers: a schedule layer whose shifts come from someone else's
iCalendar feed (another paging tool, a shared team calendar).

The feed is read once when the layer is made, and again every 15 minutes by
:mod:`fireline.oncall.feed_jobs`. The shifts of the last good read are
stored on the layer, so the schedule answers "who is on call" without the
network; a read that fails keeps them and says why in ``import_error``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict
from fireline.core.http import safe_url
from fireline.oncall.feed_fetch import FetchFailed
from fireline.oncall.ical import FeedError, FeedImport, import_calendar
from fireline.oncall.models import Schedule, ScheduleLayer
from fireline.oncall.rotation import ScheduleError
from fireline.people.models import User

# How far back and ahead a read keeps shifts: the past for the on-call load
# report and the schedule's history, the future for planning.
PAST = timedelta(weeks=26)
AHEAD = timedelta(weeks=16)
MAX_SHIFTS = 5000
MAX_ERROR_LENGTH = 500


def directory(session: Session) -> dict[str, int]:
    """E-mail addresses and names of active people, for matching events to them.

    A name two people share is left out: an event naming it cannot be given to
    either, and is reported as matching nobody."""
    users = list(session.scalars(select(User).where(User.is_active)))
    names = Counter(user.name.strip().casefold() for user in users)
    found: dict[str, int] = {}
    for user in users:
        if names[user.name.strip().casefold()] == 1:
            found[user.name] = user.id
    for user in users:
        found[user.email] = user.id
    return found


def read(session: Session, body: bytes, *, time_zone: str, now: datetime) -> FeedImport:
    """The shifts of ``body`` around ``now``, or FetchFailed when it is no usable feed."""
    try:
        result = import_calendar(
            body,
            time_zone=time_zone,
            start=now - PAST,
            end=now + AHEAD,
            directory=directory(session),
        )
    except FeedError as exc:
        raise FetchFailed(str(exc)[:MAX_ERROR_LENGTH]) from None
    except ScheduleError as exc:
        raise FetchFailed(
            f"cannot read the feed: expected {exc.expected} for {exc.field}"
        ) from None
    if len(result.intervals) > MAX_SHIFTS:
        raise FetchFailed(
            f"the feed has {len(result.intervals)} shifts in the {PAST.days + AHEAD.days} days "
            f"read; at most {MAX_SHIFTS} are taken"
        )
    return result


def check_not_imported(schedule: Schedule, url: str) -> None:
    for layer in schedule.layers:
        if layer.ical_url == url:
            raise Conflict(
                f"this schedule already imports that feed as layer {layer.name!r}", field="url"
            )


def add_imported_layer(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    schedule: Schedule,
    url: str,
    name: str,
    feed: FeedImport,
) -> ScheduleLayer:
    check_not_imported(schedule, url)
    row = ScheduleLayer(
        schedule_id=schedule.id,
        position=max((layer.position for layer in schedule.layers), default=-1) + 1,
        name=(name.strip() or f"Imported from {safe_url(url)}")[:200],
        handoff="",  # an imported layer has no rotation
        ical_url=url,
    )
    store(row, feed, now)
    schedule.layers.append(row)
    schedule.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.layer_imported",
        object_type="schedule",
        object_id=schedule.id,
        # Only the origin: the rest of a calendar URL is usually its secret.
        changes={
            "layer": row.name,
            "source": safe_url(url),
            "shifts": len(feed.intervals),
            "skipped": len(feed.warnings),
        },
        now=now,
    )
    return row


def store(layer: ScheduleLayer, feed: FeedImport, now: datetime) -> None:
    """Keep a good read on the layer: its shifts, and the people in them."""
    layer.imported_shifts = [
        {"start": i.start.isoformat(), "end": i.end.isoformat(), "user_id": i.user_id}
        for i in feed.intervals
    ]
    # The people the layer can put on call, so reachability checks see them.
    layer.user_ids = sorted({i.user_id for i in feed.intervals})
    layer.imported_at = now
    layer.import_error = None


def refresh(session: Session, layer: ScheduleLayer, *, body: bytes, now: datetime) -> None:
    """Read the feed again; when it cannot be read, keep the last good shifts."""
    schedule = session.get(Schedule, layer.schedule_id)
    if schedule is None:
        return
    try:
        feed = read(session, body, time_zone=schedule.time_zone, now=now)
    except FetchFailed as exc:
        failed(layer, exc)
        return
    store(layer, feed, now)


def failed(layer: ScheduleLayer, error: FetchFailed) -> None:
    layer.import_error = error.message[:MAX_ERROR_LENGTH]
