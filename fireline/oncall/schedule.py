"""Who is on call when: a schedule's layers, swaps and overrides resolved to shifts.

Pure: every function takes the schedule and the instants it is asked about,
and returns UTC datetimes. Precedence, from weakest to strongest:

1. layers, bottom first: ``schedule.layers[-1]`` is the top layer and wins
   wherever it has someone on duty; where it has nobody (outside its
   restrictions, before its start, after its end) the layers below show
   through;
2. swaps, in order: ``Swap(from_user=A, to_user=B, start, end)`` hands B the
   part of [start, end) in which the layers put A on call, and nothing
   else, so a swap can never put B on call at an hour A was not. A later
   swap sees the earlier ones, so A to B then B to C leaves C;
3. overrides, in order: an override puts its user on call for its whole
   window, over every layer and swap; where overrides overlap, the later one
   in ``schedule.overrides`` wins.

Overrides are not swapped: an override is a person's own commitment, and is
moved by changing the override.

Every level has at most one person at a time, so :func:`on_call_at` answers
with one user id or None. An imported layer whose events overlap gives the
overlap to the event that started later (ties go to the later one listed).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.oncall.rotation import (
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    WEEKDAYS,
    WEEKEND,
    Layer,
    Restriction,
    Rotation,
    ScheduleError,
    Unit,
    layer_turns,
    layer_user_at,
    on_days,
    require_aware,
    require_user,
)

__all__ = [
    "FRIDAY",
    "MONDAY",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "WEEKDAYS",
    "WEEKEND",
    "ImportedLayer",
    "Interval",
    "Layer",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "ScheduleError",
    "Shift",
    "Source",
    "Swap",
    "Timeline",
    "Unit",
    "final_shifts",
    "on_call_at",
    "on_days",
    "timeline",
]


def _require_span(start: object, end: object) -> tuple[datetime, datetime]:
    """The span in UTC, or a ScheduleError when it is empty or not time-zone aware."""
    utc_start, utc_end = require_aware(start, "start"), require_aware(end, "end")
    if utc_end <= utc_start:
        raise ScheduleError("end", "a time after start")
    return utc_start, utc_end


def _store_utc_span(item: Interval | Override | Swap) -> None:
    # Stored in UTC so that every instant derived from it comes out in UTC.
    start, end = _require_span(item.start, item.end)
    object.__setattr__(item, "start", start)
    object.__setattr__(item, "end", end)


@dataclass(frozen=True, slots=True)
class Interval:
    """``user_id`` on call for [start, end): one event of an imported calendar."""

    start: datetime
    end: datetime
    user_id: int

    def __post_init__(self) -> None:
        _store_utc_span(self)
        require_user(self.user_id, "user_id")


@dataclass(frozen=True, slots=True)
class ImportedLayer:
    """A layer whose shifts come from outside (an iCalendar feed), not from a rotation."""

    intervals: tuple[Interval, ...]

    def __post_init__(self) -> None:
        intervals = tuple(self.intervals)
        for position, interval in enumerate(intervals):
            if not isinstance(interval, Interval):
                raise ScheduleError(f"intervals[{position}]", "an Interval")
        object.__setattr__(self, "intervals", intervals)


@dataclass(frozen=True, slots=True)
class Override:
    """``user_id`` covers [start, end), over every layer and swap."""

    start: datetime
    end: datetime
    user_id: int

    def __post_init__(self) -> None:
        _store_utc_span(self)
        require_user(self.user_id, "user_id")


@dataclass(frozen=True, slots=True)
class Swap:
    """``to_user`` takes over from ``from_user`` where the layers have them on call in [start, end)."""

    from_user: int
    to_user: int
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_user(self.from_user, "from_user")
        if require_user(self.to_user, "to_user") == self.from_user:
            raise ScheduleError("to_user", "someone other than from_user")
        _store_utc_span(self)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Layers (bottom first), swaps and overrides, in one IANA ``time_zone``."""

    time_zone: str
    layers: tuple[Layer | ImportedLayer, ...] = ()
    overrides: tuple[Override, ...] = ()
    swaps: tuple[Swap, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ScheduleError(
                "time_zone", "an IANA time zone name such as 'Europe/Berlin'"
            ) from None
        for name, kinds in (
            ("layers", (Layer, ImportedLayer)),
            ("overrides", (Override,)),
            ("swaps", (Swap,)),
        ):
            items = tuple(getattr(self, name))
            for position, item in enumerate(items):
                if not isinstance(item, kinds):
                    expected = " or ".join(kind.__name__ for kind in kinds)
                    raise ScheduleError(f"{name}[{position}]", f"a {expected}")
            object.__setattr__(self, name, items)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Source(StrEnum):
    """What put someone on call; ``Shift.index`` points into the matching schedule tuple."""

    layer = "layer"
    swap = "swap"
    override = "override"


@dataclass(frozen=True, slots=True)
class Shift:
    """``user_id`` on call for [start, end) (UTC), because of ``schedule.<source>s[index]``."""

    start: datetime
    end: datetime
    user_id: int
    source: Source
    index: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """The rows of a schedule view: each layer on its own, the overrides, and the result."""

    layers: tuple[tuple[Shift, ...], ...]
    overrides: tuple[Shift, ...]
    final: tuple[Shift, ...]


def on_call_at(schedule: Schedule, t: datetime) -> int | None:
    """The user on call at ``t``, or None when nobody is."""
    t = require_aware(t, "t")
    for override in reversed(schedule.overrides):
        if override.start <= t < override.end:
            return override.user_id
    user = None
    for layer in reversed(schedule.layers):
        user = _layer_user_at(layer, schedule.zone, t)
        if user is not None:
            break
    else:
        return None
    for swap in schedule.swaps:
        if swap.start <= t < swap.end and user == swap.from_user:
            user = swap.to_user
    return user


def final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call from ``start`` to ``end``: ordered shifts that never overlap.

    Where someone is on call the shifts leave no gap; adjacent pieces of the
    same person from the same source are joined into one shift."""
    return list(timeline(schedule, start, end).final)


def timeline(schedule: Schedule, start: datetime, end: datetime) -> Timeline:
    """Every row of the schedule between ``start`` and ``end``, each clipped to that window."""
    start, end = _require_span(start, end)
    zone = schedule.zone
    rows = [
        _layer_row(layer, index, zone, start, end) for index, layer in enumerate(schedule.layers)
    ]
    # With its position as priority, each instant goes to the highest layer
    # that has someone then.
    resolved = _paint([(piece, piece.index) for row in rows for piece in row])
    for index, swap in enumerate(schedule.swaps):
        resolved = _apply_swap(resolved, swap, index)
    overrides = _paint(
        (Shift(o.start, o.end, o.user_id, Source.override, index), index)
        for index, o in enumerate(schedule.overrides)
        if o.start < end and o.end > start
    )
    overrides = [_clip(piece, start, end) for piece in overrides]
    final = _paint([(piece, 0) for piece in resolved] + [(piece, 1) for piece in overrides])
    return Timeline(
        layers=tuple(tuple(_join(row)) for row in rows),
        overrides=tuple(_join(overrides)),
        final=tuple(_join(final)),
    )


def _layer_user_at(layer: Layer | ImportedLayer, zone: ZoneInfo, t: datetime) -> int | None:
    if isinstance(layer, Layer):
        return layer_user_at(layer, zone, t)
    covering = [
        (interval.start, position, interval.user_id)
        for position, interval in enumerate(layer.intervals)
        if interval.start <= t < interval.end
    ]
    return max(covering)[2] if covering else None


def _layer_row(
    layer: Layer | ImportedLayer, index: int, zone: ZoneInfo, start: datetime, end: datetime
) -> list[Shift]:
    if isinstance(layer, Layer):
        return [
            Shift(opens, closes, user, Source.layer, index)
            for (opens, closes), user in layer_turns(layer, zone, start, end)
        ]
    # Where imported events overlap, the one that started later wins.
    by_start = sorted(range(len(layer.intervals)), key=lambda p: (layer.intervals[p].start, p))
    painted = _paint(
        (Shift(i.start, i.end, i.user_id, Source.layer, index), priority)
        for priority, i in enumerate(layer.intervals[p] for p in by_start)
        if i.start < end and i.end > start
    )
    return [_clip(piece, start, end) for piece in painted]


def _clip(shift: Shift, start: datetime, end: datetime) -> Shift:
    return _moved(shift, max(shift.start, start), min(shift.end, end))


def _paint(pieces: Iterable[tuple[Shift, int]]) -> list[Shift]:
    """Flatten possibly overlapping (shift, priority) pieces so that each
    instant keeps the covering piece of highest priority."""
    ordered = sorted(pieces, key=lambda item: item[0].start)
    bounds = sorted({p.start for p, _ in ordered} | {p.end for p, _ in ordered})
    active: list[tuple[int, int, Shift]] = []  # a min-heap, so priorities go in negated
    runs: list[tuple[datetime, datetime, Shift]] = []
    added = 0
    for opens, closes in itertools.pairwise(bounds):
        while added < len(ordered) and ordered[added][0].start <= opens:
            piece, priority = ordered[added]
            heapq.heappush(active, (-priority, added, piece))
            added += 1
        while active and active[0][2].end <= opens:
            heapq.heappop(active)
        if not active:
            continue
        top = active[0][2]
        if runs and runs[-1][2] is top and runs[-1][1] == opens:
            runs[-1] = (runs[-1][0], closes, top)
        else:
            runs.append((opens, closes, top))
    return [_moved(piece, opens, closes) for opens, closes, piece in runs]


def _moved(shift: Shift, start: datetime, end: datetime) -> Shift:
    # Direct construction: dataclasses.replace costs several times more and
    # this runs for every piece of every row.
    return Shift(start, end, shift.user_id, shift.source, shift.index)


def _apply_swap(shifts: Sequence[Shift], swap: Swap, index: int) -> list[Shift]:
    swapped: list[Shift] = []
    for shift in shifts:
        if shift.user_id != swap.from_user or shift.end <= swap.start or shift.start >= swap.end:
            swapped.append(shift)
            continue
        inside_start, inside_end = max(shift.start, swap.start), min(shift.end, swap.end)
        if shift.start < inside_start:
            swapped.append(_moved(shift, shift.start, inside_start))
        swapped.append(Shift(inside_start, inside_end, swap.to_user, Source.swap, index))
        if inside_end < shift.end:
            swapped.append(_moved(shift, inside_end, shift.end))
    return swapped


def _join(shifts: Iterable[Shift]) -> list[Shift]:
    """Join touching pieces of the same person from the same source."""
    joined: list[Shift] = []
    for shift in shifts:
        if shift.start >= shift.end:
            continue
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.end == shift.start
            and (last.user_id, last.source, last.index)
            == (shift.user_id, shift.source, shift.index)
        ):
            joined[-1] = _moved(last, last.start, shift.end)
        else:
            joined.append(shift)
    return joined
