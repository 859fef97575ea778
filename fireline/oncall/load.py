"""On-call load: how often each person was paged, how many of those
interruptions came outside working hours or in their sleep, and how long
they were on call, week by week.

Pure: plain data in, numbers out. Everyone is measured on their own clock
(``User.time_zone``): a page at 23:00 UTC is an evening page in London and a
morning one in Sydney. Weeks are ISO weeks of their own calendar, Monday
midnight to Monday midnight where they live, so the week the clocks spring
forward has 167 hours and the week they fall back has 169.

What counts:

- ``notifications``: page notifications that were sent to the person, each
  one an interruption (a page that reached someone by push and then by phone
  interrupted them twice);
- ``pages``: the distinct pages among them;
- ``off_hours``: notifications outside 09:00-18:00 Monday to Friday;
- ``sleep_hours``: notifications between 22:00 and 07:00, any day. A night
  is outside working hours too, so these are counted in ``off_hours`` as well;
- ``hours_on_call``: time on call by the schedules' final shifts. Two
  schedules putting someone on call at once count once: they are on call
  either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.oncall.wallclock import instant

WORK_START, WORK_END = time(9), time(18)
SLEEP_START, SLEEP_END = time(22), time(7)
SATURDAY = 5
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    time_zone: str


@dataclass(frozen=True, slots=True)
class Sent:
    """A notification of page ``page_id`` sent to ``user_id`` at ``at``."""

    user_id: int
    page_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class OnCall:
    """``user_id`` on call for [start, end), by one schedule."""

    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Counts:
    pages: int = 0
    notifications: int = 0
    off_hours: int = 0
    sleep_hours: int = 0
    hours_on_call: float = 0.0


@dataclass(frozen=True, slots=True)
class Week:
    """One ISO week ("2026-W10") of a person's calendar, cut to the report's days."""

    label: str
    start: datetime  # local midnight, in the person's zone
    end: datetime
    counts: Counts


@dataclass(frozen=True, slots=True)
class PersonLoad:
    user_id: int
    time_zone: str
    weeks: tuple[Week, ...]
    total: Counts


def zone_of(name: str) -> ZoneInfo:
    """The person's zone; UTC for a name this machine does not know, rather
    than no report at all (names are checked when they are set, but the
    zone database can lose one)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_off_hours(at: datetime, zone: ZoneInfo) -> bool:
    local = at.astimezone(zone)
    return local.weekday() >= SATURDAY or not WORK_START <= local.time() < WORK_END


def is_sleep_hours(at: datetime, zone: ZoneInfo) -> bool:
    moment = at.astimezone(zone).time()
    return moment >= SLEEP_START or moment < SLEEP_END


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant ``day`` begins in ``zone`` (in zones that skip midnight,
    when the clocks jump past it).

    UTC, not local: Python subtracts two datetimes of the same zone by their
    wall clocks, which would give every week 168 hours."""
    return instant(datetime.combine(day, time()), zone)


def weeks(first: date, last: date, zone: ZoneInfo) -> Iterator[tuple[str, datetime, datetime]]:
    """The ISO weeks of the days [first, last) in ``zone``: (label, start, end)
    with UTC instants, the first and last week cut to those days."""
    day = first
    while day < last:
        iso = day.isocalendar()
        next_monday = day + timedelta(days=8 - iso.weekday)
        stop = min(next_monday, last)
        yield f"{iso.year}-W{iso.week:02d}", midnight(day, zone), midnight(stop, zone)
        day = stop


def hours_on_call(
    spans: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> float:
    """Hours of [start, end) covered by the union of ``spans`` (sorted, not overlapping)."""
    covered = timedelta()
    for opens, closes in spans:
        if opens < end and closes > start:
            covered += min(closes, end) - max(opens, start)
    return covered / _HOUR


def union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching spans joined, in order."""
    joined: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(spans):
        if closes <= opens:
            continue
        if joined and opens <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], closes))
        else:
            joined.append((opens, closes))
    return joined


def count(sent: Sequence[Sent], zone: ZoneInfo, hours: float) -> Counts:
    return Counts(
        pages=len({s.page_id for s in sent}),
        notifications=len(sent),
        off_hours=sum(1 for s in sent if is_off_hours(s.at, zone)),
        sleep_hours=sum(1 for s in sent if is_sleep_hours(s.at, zone)),
        hours_on_call=hours,
    )


def report(
    people: Sequence[Person],
    sent: Iterable[Sent],
    on_call: Iterable[OnCall],
    first: date,
    last: date,
) -> list[PersonLoad]:
    """The load of each of ``people`` over the days [first, last) of their own calendar.

    ``sent`` and ``on_call`` may hold more than that (other people, days just
    outside): each person keeps what falls in their own days."""
    if last <= first:
        raise ValueError("last must come after first")
    sent_to: dict[int, list[Sent]] = defaultdict(list)
    for item in sent:
        sent_to[item.user_id].append(item)
    spans: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for shift in on_call:
        spans[shift.user_id].append((shift.start, shift.end))
    return [
        _person_load(person, sent_to[person.user_id], union(spans[person.user_id]), first, last)
        for person in people
    ]


def _person_load(
    person: Person,
    sent: list[Sent],
    spans: list[tuple[datetime, datetime]],
    first: date,
    last: date,
) -> PersonLoad:
    zone = zone_of(person.time_zone)
    rows: list[Week] = []
    everything: list[Sent] = []
    for label, opens, closes in weeks(first, last, zone):
        mine = [s for s in sent if opens <= s.at < closes]
        everything.extend(mine)
        hours = hours_on_call(spans, opens, closes)
        # Shown on the person's clock; computed above in UTC.
        rows.append(
            Week(label, opens.astimezone(zone), closes.astimezone(zone), count(mine, zone, hours))
        )
    # A page that reached someone on Sunday night and again on Monday counts
    # in both weeks but once in the total.
    total = count(everything, zone, sum(row.counts.hours_on_call for row in rows))
    return PersonLoad(person.user_id, person.time_zone, tuple(rows), total)
