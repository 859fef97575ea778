"""Business time: the plan's working hours and public holidays, in its time zone.

Pure functions of their inputs (no clock reads). Opening hours are wall-clock
times in the organisation's zone, so a DST change moves the hours with the
local clocks; spans of time are measured in real elapsed (UTC) time, so an hour
of business time is always sixty real minutes.

"Next business day" means: by the close of business on the first business day
after the local calendar day on which the clock started. A SEV3 declared at
23:00 on a Monday is due at closing time on Tuesday; one declared on a Friday
(or on the eve of a public holiday) is due at closing time on the next day the
office is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from fireline.plan.schema import Plan

# A calendar with no business days would loop forever; a year is far more than any SLA.
SEARCH_DAYS = 366


@dataclass
class BusinessCalendar:
    zone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (0 = Monday) -> opening, closing
    country: str | None = None
    subdivision: str | None = None
    closed: dict[date, str] = field(default_factory=dict)  # the organisation's own days off
    _public: holiday_calendars.HolidayBase | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_plan(cls, plan: Plan) -> BusinessCalendar:
        business = plan.business_hours
        hours = {}
        for weekday in range(7):
            day = business.hours_on(weekday)
            if day is not None:
                hours[weekday] = (day.start, day.end)
        return cls(
            zone=ZoneInfo(plan.organisation.time_zone),
            hours=hours,
            country=plan.holidays.country,
            subdivision=plan.holidays.subdivision,
            closed={extra.date: extra.name for extra in plan.holidays.extra_days},
        )

    def holiday_name(self, day: date) -> str | None:
        """The public holiday or company closing day on ``day``, if any."""
        if day in self.closed:
            return self.closed[day]
        if self.country is None:
            return None
        if self._public is None:
            self._public = holiday_calendars.country_holidays(self.country, subdiv=self.subdivision)
        return self._public.get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.hours and self.holiday_name(day) is None

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens, closes = self.hours[day.weekday()]
        return (
            datetime.combine(day, opens, tzinfo=self.zone),
            datetime.combine(day, closes, tzinfo=self.zone),
        )

    def is_business_time(self, at: datetime) -> bool:
        local = _aware(at, "at").astimezone(self.zone)
        if not self.is_business_day(local.date()):
            return False
        opens, closes = self._window(local.date())
        return _utc(opens) <= _utc(at) < _utc(closes)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of business time has passed since ``start``.

        Outside business hours the clock waits for the next opening. A duration
        that uses up a day exactly ends at that day's closing time, not at the
        next opening: a deadline is the last moment that still counts.
        """
        _aware(start, "start")
        if duration < timedelta(0):
            raise ValueError("a business-time duration cannot be negative")
        remaining = duration
        day = start.astimezone(self.zone).date()
        for _ in range(SEARCH_DAYS):
            if self.is_business_day(day):
                opens, closes = self._window(day)
                begin = max(_utc(start), _utc(opens))
                # Subtract in UTC: aware datetimes sharing a zone subtract as wall clocks.
                available = _utc(closes) - begin
                if available > timedelta(0):
                    if remaining <= available:
                        return (begin + remaining).astimezone(self.zone)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the plan's calendar has no business time within a year")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much business time lies between two moments (zero if ``end`` is first)."""
        start_utc, end_utc = _utc(_aware(start, "start")), _utc(_aware(end, "end"))
        total = timedelta(0)
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._window(day)
                overlap = min(end_utc, _utc(closes)) - max(start_utc, _utc(opens))
                total += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return total

    def next_business_day_end(self, start: datetime) -> datetime:
        """Close of business on the first business day after the local day of
        ``start``: what a "next business day" SLA promises."""
        day = _aware(start, "start").astimezone(self.zone).date()
        for _ in range(SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return self._window(day)[1]
        raise ValueError("the plan's calendar has no business day within a year")


def _aware(moment: datetime, name: str) -> datetime:
    # A naive datetime has no meaning here: it could be UTC, local or anything else.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a time-zone-aware datetime")
    return moment


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
