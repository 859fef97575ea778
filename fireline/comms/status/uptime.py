"""Uptime bars: what each of the last 90 days looked like for a component,
computed from the statuses it took and when.

A day is cut in the page's time zone. Downtime counts a major outage in full
and a partial outage at 30% (the weighting status-page readers know from
Atlassian Statuspage); degraded performance and maintenance are shown on the
bar but are not downtime. Days before the component existed have no data and
count for nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = 90
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
# Worst first: the colour a day's bar takes.
SEVERITY_ORDER = (
    "major_outage",
    "partial_outage",
    "degraded_performance",
    "under_maintenance",
    "operational",
)


@dataclass(frozen=True)
class Change:
    at: datetime
    status: str


@dataclass(frozen=True)
class Day:
    day: date
    # Seconds spent in each status other than operational.
    seconds: dict[str, float] = field(default_factory=dict)
    observed: float = 0.0  # seconds of the day the component existed (and are past)

    @property
    def has_data(self) -> bool:
        return self.observed > 0

    @property
    def downtime(self) -> float:
        return sum(DOWNTIME_WEIGHT.get(s, 0.0) * secs for s, secs in self.seconds.items())

    @property
    def uptime(self) -> float | None:
        """The day's uptime as a fraction, or None without data."""
        if not self.has_data:
            return None
        return max(0.0, 1.0 - self.downtime / self.observed)

    @property
    def worst(self) -> str | None:
        if not self.has_data:
            return None
        for status in SEVERITY_ORDER:
            if self.seconds.get(status, 0) > 0:
                return status
        return "operational"


def daily(
    changes: Sequence[Change],
    *,
    now: datetime,
    zone: ZoneInfo,
    days: int = DAYS,
) -> list[Day]:
    """The last ``days`` days up to today (in ``zone``), oldest first.

    ``changes`` are every status the component took, in time order; the
    first is its creation. Statuses before the window still count: the
    status in force at the window's start is the last one set before it.
    """
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    # In UTC: arithmetic on datetimes of one zone is wall-clock arithmetic,
    # which would make a 23- or 25-hour day of a DST change 24 hours long.
    bounds = [
        datetime.combine(first_day + timedelta(days=n), time(), zone).astimezone(UTC)
        for n in range(days + 1)
    ]
    seconds: list[dict[str, float]] = [{} for _ in range(days)]
    observed = [0.0] * days
    # Each interval touches only the days it spans: the work grows with the
    # number of changes plus days, not their product.
    for status, since, until in _intervals(changes, now):
        first = max(0, bisect_right(bounds, since) - 1)
        for n in range(first, days):
            start, end = bounds[n], min(bounds[n + 1], now)
            if start >= until:
                break
            overlap = (min(until, end) - max(since, start)).total_seconds()
            if overlap <= 0:
                continue
            observed[n] += overlap
            if status != "operational":
                seconds[n][status] = seconds[n].get(status, 0.0) + overlap
    return [Day(first_day + timedelta(days=n), seconds[n], observed[n]) for n in range(days)]


def uptime_percent(days: Sequence[Day]) -> float | None:
    """Uptime over the days that have data, weighted by time observed."""
    observed = sum(d.observed for d in days)
    if observed <= 0:
        return None
    downtime = sum(d.downtime for d in days)
    return round(100.0 * max(0.0, 1.0 - downtime / observed), 2)


def _intervals(changes: Sequence[Change], now: datetime) -> list[tuple[str, datetime, datetime]]:
    ordered = sorted(changes, key=lambda c: c.at)
    spans = []
    for change, following in zip(ordered, [*ordered[1:], None], strict=False):
        until = following.at if following is not None else now
        if until > change.at:
            spans.append((change.status, change.at, until))
    return spans
