"""Business time: the plan's working hours and public holidays, in its time zone.

Pure functions of their inputs (no clock). Wall-clock hours are computed in
the organisation's zone so that DST shifts move the hours, not the clocks;
durations are measured in real (UTC) time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from fireline.plan.schema import Plan, weekday_index

# A calendar with no business days would loop forever; a year is far more than any SLA.
SEARCH_DAYS = 366


@dataclass
class BusinessCalendar:
    zone: ZoneInfo
    weekdays: frozenset[int]
    opens: time
    closes: time
    country: str | None = None
    subdivision: str | None = None
    _holidays: holiday_calendars.HolidayBase | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_plan(cls, plan: Plan) -> BusinessCalendar:
        hours = plan.business_hours
        return cls(
            zone=ZoneInfo(plan.organisation.time_zone),
            weekdays=frozenset(weekday_index(day) for day in hours.days),
            opens=hours.start,
            closes=hours.end,
            country=plan.holidays.country,
            subdivision=plan.holidays.subdivision,
        )

    def holiday_name(self, day: date) -> str | None:
        if self.country is None:
            return None
        if self._holidays is None:
            self._holidays = holiday_calendars.country_holidays(
                self.country, subdiv=self.subdivision
            )
        return self._holidays.get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and self.holiday_name(day) is None

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def is_business_time(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if not self.is_business_day(local.date()):
            return False
        opens, closes = self._window(local.date())
        return opens <= local < closes

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of business time has passed since ``start``."""
        remaining = duration
        day = start.astimezone(self.zone).date()
        for _ in range(SEARCH_DAYS):
            if self.is_business_day(day):
                opens, closes = self._window(day)
                begin = max(start, opens)
                if begin < closes:
                    # Subtract in UTC: aware datetimes sharing a zone subtract as wall clocks.
                    available = closes.astimezone(UTC) - begin.astimezone(UTC)
                    if remaining <= available:
                        return (begin.astimezone(UTC) + remaining).astimezone(self.zone)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the plan's calendar has no business time within a year")

    def next_business_day_end(self, start: datetime) -> datetime:
        """Close of business on the first business day after the day of ``start``
        (in the organisation's zone): what "next business day" promises."""
        day = start.astimezone(self.zone).date()
        for _ in range(SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return self._window(day)[1]
        raise ValueError("the plan's calendar has no business day within a year")
