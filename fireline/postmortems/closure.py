"""The closure-on-time rate of action items.

Pure. Of the items whose due date has come (or that were closed before it),
the share closed by the end of their due day. Items without a due date, and
open items not yet due, have no verdict yet and count in neither part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fireline.postmortems.schedule import is_overdue


@dataclass(frozen=True)
class ItemDates:
    due_date: date | None
    closed_at: datetime | None
    wont_do: bool = False  # closed as "won't do": a decision, not work done on time


@dataclass(frozen=True)
class ClosureRate:
    on_time: int
    late: int  # closed after the due day, or still open past it
    pending: int  # open and not yet due, or without a due date
    rate: float | None  # on_time / (on_time + late); None with nothing decided

    def as_dict(self) -> dict[str, object]:
        return {
            "on_time": self.on_time,
            "late": self.late,
            "pending": self.pending,
            "rate": self.rate,
        }


def closure_rate(items: Iterable[ItemDates], zone: ZoneInfo, now: datetime) -> ClosureRate:
    on_time = late = pending = 0
    for item in items:
        if item.due_date is None or item.wont_do:
            pending += 0 if item.wont_do else 1
            continue
        if item.closed_at is not None:
            if item.closed_at.astimezone(zone).date() <= item.due_date:
                on_time += 1
            else:
                late += 1
        elif is_overdue(zone, item.due_date, now):
            late += 1
        else:
            pending += 1
    decided = on_time + late
    return ClosureRate(on_time, late, pending, round(on_time / decided, 4) if decided else None)
