"""The period a report covers, the one before it, and how it is cut into buckets.

Pure: days in, instants out. Days are the organisation's calendar days (the
plan's ``organisation.time_zone``), so "this quarter" starts at local midnight
on the first day of the quarter, wherever the server runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fireline.core.errors import InvalidInput

PRESETS = {"30d": "last 30 days", "90d": "last 90 days", "quarter": "this quarter"}
DEFAULT_PRESET = "90d"
MAX_DAYS = 366
# Up to about four months a week is the unit people plan in; beyond, months
# keep a chart readable (a year of weeks is 53 thin columns).
WEEKLY_UP_TO_DAYS = 124


@dataclass(frozen=True)
class Bucket:
    label: str
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive
    zone: str

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def unit(self) -> str:
        return "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        last = self.first_day - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last, self.zone)

    def buckets(self) -> list[Bucket]:
        return weeks(self) if self.unit == "week" else months(self)


def local_midnight(day: date, zone: str) -> datetime:
    """The instant ``day`` begins in ``zone``, in UTC (as stored)."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def parse_day(value: str | None, field: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"expected a date such as 2026-03-01, got {text!r}", field=field
        ) from None


def choose_period(
    *,
    since: date | None,
    until: date | None,
    preset: str | None,
    today: date,
    zone: str,
) -> Period:
    """From/to days win over a preset; a missing end is today, a missing
    start is 90 days before the end."""
    if since is not None or until is not None:
        last = until or today
        first = since or last - timedelta(days=89)
        if last < first:
            raise InvalidInput("the end comes before the start", field="until")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidInput(f"a period can span at most {MAX_DAYS} days", field="since")
        return Period(first, last, zone)
    chosen = preset or DEFAULT_PRESET
    if chosen == "30d":
        return Period(today - timedelta(days=29), today, zone)
    if chosen == "90d":
        return Period(today - timedelta(days=89), today, zone)
    if chosen == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(date(today.year, first_month, 1), today, zone)
    raise InvalidInput(
        f"unknown period {chosen!r}; expected one of {', '.join(PRESETS)}", field="preset"
    )


def weeks(period: Period) -> list[Bucket]:
    """ISO weeks (Monday to Sunday), the first and last cut to the period."""
    found = []
    day = period.first_day
    while day <= period.last_day:
        next_monday = day + timedelta(days=7 - day.weekday())
        stop = min(next_monday, period.last_day + timedelta(days=1))
        found.append(
            Bucket(
                day.strftime("%b %d"),
                local_midnight(day, period.zone),
                local_midnight(stop, period.zone),
            )
        )
        day = stop
    return found


def months(period: Period) -> list[Bucket]:
    found = []
    day = period.first_day
    while day <= period.last_day:
        next_first = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        stop = min(next_first, period.last_day + timedelta(days=1))
        found.append(
            Bucket(
                day.strftime("%Y-%m"),
                local_midnight(day, period.zone),
                local_midnight(stop, period.zone),
            )
        )
        day = stop
    return found
