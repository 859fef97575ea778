"""What a calendar feed holds: the window of shifts it shows, one calendar
made of several schedules' shifts, and the validator calendar clients send
back to ask "has anything changed?".

Pure: no database, no clock reads. Calendar clients poll a feed every few
minutes to every few hours, so the aim is a body that stays byte for byte
the same while the schedule does: the window moves once a day, at midnight
UTC, and DTSTAMP is that midnight rather than the moment of the request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Component

from fireline.oncall.ical import PRODID
from fireline.oncall.schedule import Shift

PAST = timedelta(days=7)
AHEAD = timedelta(weeks=8)
# Shifts are resolved over a wider window and kept whole, so a shift that
# crosses the feed's edge keeps its real start (and with it its UID) instead
# of being cut anew every day, which calendars would show as a new event.
MARGIN = timedelta(days=31)


def today(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: the feed's DTSTAMP and the anchor of its window."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def window(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the shifts a feed shows: a week back, eight weeks ahead."""
    day = today(now)
    return day - PAST, day + timedelta(days=1) + AHEAD


def resolve_window(now: datetime) -> tuple[datetime, datetime]:
    """The window to resolve shifts over before :func:`overlapping` picks the feed's."""
    start, end = window(now)
    return start - MARGIN, end + MARGIN


def overlapping(shifts: Iterable[Shift], now: datetime) -> list[Shift]:
    """The shifts that touch the feed's window, whole."""
    start, end = window(now)
    return [shift for shift in shifts if shift.start < end and shift.end > start]


def combine(calendars: Sequence[bytes], title: str) -> bytes:
    """One VCALENDAR named ``title`` holding the events of every calendar given.

    A person's own feed is made of one export per schedule they are on; the
    events keep their per-schedule UIDs, so nothing collides."""
    combined = Calendar()
    combined.add("prodid", PRODID)
    combined.add("version", "2.0")
    combined.add("calscale", "GREGORIAN")
    combined.add("method", "PUBLISH")
    combined.add("x-wr-calname", title)
    combined.add("name", title)
    for data in calendars:
        part = Calendar.from_ical(data)
        for event in part.walk("VEVENT"):
            if isinstance(event, Component):
                combined.add_component(event)
    return bytes(combined.to_ical())


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """True when the client already holds ``tag`` (RFC 9110: weak comparison, ``*``)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False
