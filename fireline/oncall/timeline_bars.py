"""A schedule's timeline laid out for drawing: each shift as a bar placed by
its share of the window, the local midnights as ticks, and the labels that
say who and when in the schedule's own zone.

Pure: shifts, the window and names in, positions and text out. The template
draws the bars as SVG, whose x and width attributes take these percentages
(the CSP forbids inline styles, not SVG geometry).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fireline.oncall.schedule import Shift, Source
from fireline.oncall.wallclock import instant, wall_clock

# Labels are kept short: a bar is often narrow, the full text is in its title.
TIME_FORMAT = "%a %d %b %H:%M"
# At most this many day labels, however long the window: more would overlap.
MAX_DAY_LABELS = 16
# Enough colours to tell neighbours apart; a person keeps theirs on every row.
COLOURS = 8


@dataclass(frozen=True, slots=True)
class Bar:
    left: float  # percent of the window from its start
    width: float  # percent of the window
    user_id: int
    name: str
    label: str  # who and when, for screen readers and the tooltip
    source: str  # layer | swap | override
    colour: int


@dataclass(frozen=True, slots=True)
class Tick:
    left: float
    label: str  # empty on the days between labelled ones


def _share(moment: datetime, start: datetime, end: datetime) -> float:
    return round((moment - start) / (end - start) * 100, 3)


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(TIME_FORMAT)


def shift_label(shift: Shift, name: str, zone: ZoneInfo) -> str:
    how = {Source.swap: " (swap)", Source.override: " (override)"}.get(shift.source, "")
    return f"{name}{how}: {local(shift.start, zone)} to {local(shift.end, zone)} ({zone.key})"


def bars(
    shifts: Iterable[Shift],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    names: Mapping[int, str],
) -> list[Bar]:
    placed = []
    for shift in shifts:
        name = names.get(shift.user_id, f"user {shift.user_id}")
        opens, closes = max(shift.start, start), min(shift.end, end)
        if closes <= opens:
            continue
        left = _share(opens, start, end)
        placed.append(
            Bar(
                left=left,
                width=round(_share(closes, start, end) - left, 3),
                user_id=shift.user_id,
                name=name,
                label=shift_label(shift, name, zone),
                source=shift.source.value,
                colour=shift.user_id % COLOURS,
            )
        )
    return placed


def day_ticks(start: datetime, end: datetime, zone: ZoneInfo) -> list[Tick]:
    """The local midnights inside the window (DST days are 23 or 25 hours long,
    so each is found on the wall clock, not by adding 24 hours)."""
    first = wall_clock(start, zone).date()
    days = (wall_clock(end, zone).date() - first).days + 1
    every = max(1, math.ceil(days / MAX_DAY_LABELS))
    ticks = []
    for n in range(days + 1):
        day = first + timedelta(days=n)
        midnight = instant(datetime.combine(day, time()), zone)
        if start <= midnight < end:
            label = day.strftime("%a %d") if n % every == 0 else ""
            ticks.append(Tick(_share(midnight, start, end), label))
    return ticks


def marker(moment: datetime, start: datetime, end: datetime) -> float | None:
    """Where ``moment`` (usually now) falls, or None outside the window."""
    return _share(moment, start, end) if start <= moment < end else None
