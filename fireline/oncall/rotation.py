"""One rotation layer on its own: whose turn it is, and when the layer is on duty.

A layer hands over every N hours, days or weeks, counted on the schedule
zone's wall clock from the layer's start: a daily 09:00 handoff stays at 09:00
local time on both sides of a DST change, so the turn across the change is an
hour shorter or longer. Readings that DST skips or repeats are resolved by
:func:`fireline.oncall.wallclock.instant`. Hour-long rotations count on the
wall clock too ("every 8 hours from 00:00" keeps 00:00/08:00/16:00), so a turn
that falls entirely inside a skipped hour lasts no time at all and is passed
over, and the turn across a repeated hour gets that hour too.

Restrictions mask a layer: outside its windows it has nobody, and the
rotation keeps counting while masked, so who is on duty when a window opens
does not depend on how many windows came before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum

from fireline.oncall.wallclock import instant, wall_clock

# ISO weekday numbers, as datetime.isoweekday() gives them.
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(1, 8)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)
WEEKEND = (SATURDAY, SUNDAY)

Span = tuple[datetime, datetime]
"""A half-open UTC span [start, end)."""


class ScheduleError(ValueError):
    """Bad schedule input; ``field`` names the offending field."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: expected {expected}")
        self.field = field
        self.expected = expected


def require_aware(value: object, field: str) -> datetime:
    """``value`` as a UTC datetime, or a ScheduleError naming ``field``."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ScheduleError(field, "a datetime with a time zone")
    return value.astimezone(UTC)


def require_user(value: object, field: str) -> int:
    # bool is an int subclass, and True as a user id is always a mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScheduleError(field, "a user id (int)")
    return value


class Unit(StrEnum):
    hours = "hours"
    days = "days"
    weeks = "weeks"


_STEP = {
    Unit.hours: timedelta(hours=1),
    Unit.days: timedelta(days=1),
    Unit.weeks: timedelta(weeks=1),
}


@dataclass(frozen=True, slots=True)
class Rotation:
    """How long each turn lasts, on the wall clock: ``length`` hours, days or weeks."""

    length: int
    unit: Unit = Unit.days

    def __post_init__(self) -> None:
        if not isinstance(self.length, int) or isinstance(self.length, bool) or self.length < 1:
            raise ScheduleError("rotation.length", "a whole number of at least 1")
        try:
            object.__setattr__(self, "unit", Unit(self.unit))
        except ValueError:
            raise ScheduleError("rotation.unit", "one of 'hours', 'days', 'weeks'") from None

    @property
    def step(self) -> timedelta:
        return self.length * _STEP[self.unit]


@dataclass(frozen=True, slots=True)
class Restriction:
    """A window of local wall-clock time in which a layer is on duty.

    Without days it is a daily window from ``start`` to the next ``end``
    (crossing midnight when ``end`` is not after ``start``). With ``start_day``
    and ``end_day`` (ISO weekdays, 1 = Monday) it is a weekly window, e.g.
    Friday 18:00 to Monday 09:00; it may wrap around the end of the week.
    """

    start: time
    end: time
    start_day: int | None = None
    end_day: int | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ScheduleError(f"restriction.{name}", "a time of day without tzinfo")
        if (self.start_day is None) != (self.end_day is None):
            raise ScheduleError("restriction.end_day", "both start_day and end_day, or neither")
        for name in ("start_day", "end_day"):
            day = getattr(self, name)
            if day is not None and (not isinstance(day, int) or not 1 <= day <= 7):
                raise ScheduleError(f"restriction.{name}", "an ISO weekday from 1 (Monday) to 7")
        if self.start_day == self.end_day and self.start == self.end:
            raise ScheduleError("restriction.end", "a different time than start")

    @classmethod
    def daily(cls, start: time, end: time) -> Restriction:
        return cls(start, end)

    @classmethod
    def weekly(cls, start_day: int, start: time, end_day: int, end: time) -> Restriction:
        return cls(start, end, start_day, end_day)

    @property
    def _days_long(self) -> int:
        """How many days after its opening day the window closes."""
        if self.start_day is None or self.end_day is None:
            return 0 if self.end > self.start else 1
        days = (self.end_day - self.start_day) % 7
        return 7 if days == 0 and self.end <= self.start else days

    def windows(self, zone: tzinfo, start: datetime, end: datetime) -> Iterator[Span]:
        """The windows that overlap [start, end), unclipped, in order."""
        # A window closes less than _days_long + 1 days after the midnight of
        # the day it opens, and one opening after the day of ``end`` opens after it.
        day = wall_clock(start, zone).date() - timedelta(days=self._days_long + 1)
        last = wall_clock(end, zone).date()
        stride = timedelta(days=1)
        if self.start_day is not None:
            day += timedelta(days=(self.start_day - day.isoweekday()) % 7)
            stride = timedelta(weeks=1)
        while day <= last:
            opens = instant(datetime.combine(day, self.start), zone)
            closes = instant(
                datetime.combine(day + timedelta(days=self._days_long), self.end), zone
            )
            if opens < end and closes > start:
                yield opens, closes
            day += stride


def on_days(days: Iterable[int], start: time, end: time) -> tuple[Restriction, ...]:
    """A window on each of ``days``: ``on_days(WEEKDAYS, time(9), time(17))``.

    A window that crosses midnight closes on the following day."""
    closes_next_day = end <= start
    return tuple(
        Restriction.weekly(day, start, day % 7 + 1 if closes_next_day else day, end)
        for day in sorted(set(days))
    )


@dataclass(frozen=True, slots=True)
class Layer:
    """People taking turns: ``people[0]`` from ``start``, then the next each turn.

    ``start`` is the first handoff; every later handoff keeps its wall-clock
    reading in the schedule zone. The layer covers nothing before ``start``
    nor from ``end`` on, and only its restriction windows when it has any.
    """

    people: tuple[int, ...]
    rotation: Rotation
    start: datetime
    restrictions: tuple[Restriction, ...] = ()
    end: datetime | None = None

    def __post_init__(self) -> None:
        people = tuple(self.people)
        if not people:
            raise ScheduleError("people", "at least one user id")
        for position, user in enumerate(people):
            require_user(user, f"people[{position}]")
        if not isinstance(self.rotation, Rotation):
            raise ScheduleError("rotation", "a Rotation")
        # Stored in UTC so that every instant derived from them comes out in UTC.
        start = require_aware(self.start, "start")
        end = None if self.end is None else require_aware(self.end, "end")
        if end is not None and end <= start:
            raise ScheduleError("end", "a time after start")
        restrictions = tuple(self.restrictions)
        for position, restriction in enumerate(restrictions):
            if not isinstance(restriction, Restriction):
                raise ScheduleError(f"restrictions[{position}]", "a Restriction")
        object.__setattr__(self, "people", people)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "restrictions", restrictions)


def _handoff(layer: Layer, zone: tzinfo, turn: int) -> datetime:
    # Turn 0 begins at the start itself, which may lie in the second pass of
    # a repeated hour and so after the instant its reading would resolve to.
    if turn == 0:
        return layer.start
    reading = wall_clock(layer.start, zone) + turn * layer.rotation.step
    return max(layer.start, instant(reading, zone))


def _turn_at(layer: Layer, zone: tzinfo, t: datetime) -> int:
    """The turn running at ``t`` (which must not be before the layer start)."""
    elapsed = wall_clock(t, zone) - wall_clock(layer.start, zone)
    # The wall-clock estimate is off by at most one turn around DST changes.
    turn = max(0, elapsed // layer.rotation.step)
    while turn > 0 and _handoff(layer, zone, turn) > t:
        turn -= 1
    while _handoff(layer, zone, turn + 1) <= t:
        turn += 1
    return turn


def _restriction_windows(layer: Layer, zone: tzinfo, start: datetime, end: datetime) -> list[Span]:
    """The layer's restriction windows overlapping [start, end), clipped and merged."""
    spans = sorted(
        (max(opens, start), min(closes, end))
        for restriction in layer.restrictions
        for opens, closes in restriction.windows(zone, start, end)
    )
    merged: list[Span] = []
    for opens, closes in spans:
        if opens >= closes:
            continue
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _turns(layer: Layer, zone: tzinfo, start: datetime, end: datetime) -> list[tuple[Span, int]]:
    """Each turn's span within [start, end) and whose turn it is."""
    turns: list[tuple[Span, int]] = []
    turn = _turn_at(layer, zone, start)
    opens = start
    while opens < end:
        closes = min(_handoff(layer, zone, turn + 1), end)
        if closes > opens:
            turns.append(((opens, closes), layer.people[turn % len(layer.people)]))
            opens = closes
        turn += 1
    return turns


def layer_turns(
    layer: Layer, zone: tzinfo, start: datetime, end: datetime
) -> list[tuple[Span, int]]:
    """Who the layer has on duty within the UTC window [start, end), in order."""
    start = max(start, layer.start)
    if layer.end is not None:
        end = min(end, layer.end)
    if start >= end:
        return []
    turns = _turns(layer, zone, start, end)
    if not layer.restrictions:
        return turns
    return _intersect(turns, _restriction_windows(layer, zone, start, end))


def layer_user_at(layer: Layer, zone: tzinfo, t: datetime) -> int | None:
    """Who the layer has on duty at the instant ``t``, or None."""
    if t < layer.start or (layer.end is not None and t >= layer.end):
        return None
    if layer.restrictions:
        windows = _restriction_windows(layer, zone, t, t + timedelta(microseconds=1))
        if not windows:
            return None
    return layer.people[_turn_at(layer, zone, t) % len(layer.people)]


def _intersect(turns: list[tuple[Span, int]], windows: list[Span]) -> list[tuple[Span, int]]:
    """The parts of ``turns`` inside ``windows``; both sorted and non-overlapping."""
    result: list[tuple[Span, int]] = []
    window = 0
    for (opens, closes), user in turns:
        while window < len(windows) and windows[window][1] <= opens:
            window += 1
        scan = window
        while scan < len(windows) and windows[scan][0] < closes:
            piece = (max(opens, windows[scan][0]), min(closes, windows[scan][1]))
            result.append((piece, user))
            scan += 1
    return result
