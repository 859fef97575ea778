"""When a post-mortem or an action item is due, and when to remind about it.

Pure: dates and the plan's calendar in, dates and moments out. Reminders go
out at the plan's opening time in its zone; an item becomes overdue at the
first moment of the day after its due date, in the same zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fireline.plan.calendar import BusinessCalendar
from fireline.postmortems.schema import DueWithin

SEARCH_DAYS = 366 * 2


def due_date(calendar: BusinessCalendar, start: datetime, within: DueWithin) -> date:
    """``within`` after the local day of ``start``: business days skip weekends and holidays."""
    day = start.astimezone(calendar.zone).date()
    if not within.business:
        return day + timedelta(days=within.amount)
    left = within.amount
    for _ in range(SEARCH_DAYS):
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            left -= 1
            if left == 0:
                return day
    raise ValueError("the plan's calendar has too few business days")


def reminder_times(
    zone: ZoneInfo, opening: time, due: date, days_before: list[int], now: datetime
) -> list[tuple[int, datetime]]:
    """(days before, moment) of each reminder still in the future."""
    found = []
    for days in sorted(set(days_before), reverse=True):
        at = datetime.combine(due - timedelta(days=days), opening, tzinfo=zone)
        if at > now:
            found.append((days, at))
    return found


def overdue_at(zone: ZoneInfo, due: date) -> datetime:
    return datetime.combine(due + timedelta(days=1), time(), tzinfo=zone)


def is_overdue(zone: ZoneInfo, due: date | None, now: datetime) -> bool:
    return due is not None and now >= overdue_at(zone, due)


def today(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()
