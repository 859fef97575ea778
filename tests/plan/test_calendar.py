"""Business time in the plan's zone, with weekends, holidays, per-day hours and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.plan import load_plan_text
from fireline.plan.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def calendar_for(text: str) -> BusinessCalendar:
    return BusinessCalendar.from_plan(load_plan_text(text))


@pytest.fixture
def calendar() -> BusinessCalendar:
    return calendar_for(
        "organisation: {name: Acme, time_zone: Europe/Berlin}\n"
        "holidays: {country: DE, subdivision: BE}\n"
    )


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_business_time_respects_hours_weekends_and_holidays(calendar: BusinessCalendar) -> None:
    assert calendar.is_business_time(berlin(2026, 3, 2, 9, 0))  # Monday
    assert not calendar.is_business_time(berlin(2026, 3, 2, 8, 59))
    assert not calendar.is_business_time(berlin(2026, 3, 2, 17, 0))  # closing time is out
    assert not calendar.is_business_time(berlin(2026, 3, 7, 12, 0))  # Saturday
    assert not calendar.is_business_time(berlin(2026, 4, 3, 12, 0))  # Good Friday
    assert calendar.holiday_name(berlin(2026, 4, 6).date()) == "Easter Monday"
    # 08:30 UTC on a winter Monday is 09:30 in Berlin; in summer it is 10:30.
    assert calendar.is_business_time(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    assert calendar.is_business_time(datetime(2026, 7, 6, 7, 30, tzinfo=UTC))
    assert not calendar.is_business_time(datetime(2026, 7, 6, 15, 30, tzinfo=UTC))


def test_adding_business_hours_skips_nights_and_weekends_across_dst(
    calendar: BusinessCalendar,
) -> None:
    # Friday 16:00 + 2 business hours: one hour on Friday, one on Monday, after
    # the clocks went forward on Sunday 29 March.
    due = calendar.add_business_time(berlin(2026, 3, 27, 16, 0), timedelta(hours=2))
    assert due == berlin(2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # And back on Sunday 25 October: the opening stays at 09:00 local time.
    due = calendar.add_business_time(berlin(2026, 10, 23, 16, 30), timedelta(hours=1))
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)
    # Started outside hours, the clock starts at the next opening.
    assert calendar.add_business_time(berlin(2026, 3, 2, 7, 0), timedelta(hours=4)) == berlin(
        2026, 3, 2, 13, 0
    )
    # Exactly a full day's worth ends at closing time, not the next morning.
    assert calendar.add_business_time(berlin(2026, 3, 2, 9, 0), timedelta(hours=8)) == berlin(
        2026, 3, 2, 17, 0
    )
    assert calendar.add_business_time(berlin(2026, 3, 2, 11, 0), timedelta(0)) == berlin(
        2026, 3, 2, 11, 0
    )


def test_public_holidays_are_skipped(calendar: BusinessCalendar) -> None:
    # Thursday before Easter: Good Friday and Easter Monday are holidays in Germany.
    thursday = berlin(2026, 4, 2, 16, 0)
    assert calendar.add_business_time(thursday, timedelta(hours=2)) == berlin(2026, 4, 7, 10, 0)
    assert calendar.next_business_day_end(berlin(2026, 4, 2, 10, 0)) == berlin(2026, 4, 7, 17, 0)
    # International Women's Day is a holiday in Berlin only.
    assert calendar.holiday_name(berlin(2027, 3, 8).date()) is not None
    munich = calendar_for(
        "organisation: {name: A, time_zone: Europe/Berlin}\n"
        "holidays: {country: DE, subdivision: BY}\n"
    )
    assert munich.holiday_name(berlin(2027, 3, 8).date()) is None


def test_next_business_day_is_the_close_of_the_following_business_day(
    calendar: BusinessCalendar,
) -> None:
    assert calendar.next_business_day_end(berlin(2026, 3, 2, 23, 0)) == berlin(2026, 3, 3, 17, 0)
    # Before opening on a Monday still means Tuesday: the day of the start never counts.
    assert calendar.next_business_day_end(berlin(2026, 3, 2, 7, 0)) == berlin(2026, 3, 3, 17, 0)
    assert calendar.next_business_day_end(berlin(2026, 3, 6, 12, 0)) == berlin(2026, 3, 9, 17, 0)
    # 23:30 UTC on Monday is already Tuesday in Berlin: the next business day is Wednesday.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert calendar.next_business_day_end(late) == berlin(2026, 3, 4, 17, 0)


def test_per_day_hours_and_company_closing_days() -> None:
    calendar = calendar_for(
        "organisation: {name: A, time_zone: Europe/Berlin}\n"
        "business_hours:\n"
        "  days: [mon, tue, wed, thu, fri]\n"
        "  start: '08:00'\n"
        "  end: '18:00'\n"
        "  by_day: {fri: {start: '08:00', end: '14:00'}}\n"
        "holidays:\n"
        "  extra_days: [{date: 2026-12-28, name: Year-end closure}]\n"
    )
    friday = berlin(2026, 3, 6, 13, 0)
    assert not calendar.is_business_time(berlin(2026, 3, 6, 15, 0))
    assert calendar.add_business_time(friday, timedelta(hours=2)) == berlin(2026, 3, 9, 9, 0)
    assert calendar.next_business_day_end(berlin(2026, 3, 5, 9, 0)) == berlin(2026, 3, 6, 14, 0)
    assert calendar.holiday_name(berlin(2026, 12, 28).date()) == "Year-end closure"
    # No country: Christmas is a working day, the company's own closure is not.
    assert calendar.next_business_day_end(berlin(2026, 12, 24, 10, 0)) == berlin(
        2026, 12, 25, 14, 0
    )
    assert calendar.next_business_day_end(berlin(2026, 12, 25, 10, 0)) == berlin(
        2026, 12, 29, 18, 0
    )


def test_business_time_between_two_moments(calendar: BusinessCalendar) -> None:
    start = berlin(2026, 3, 27, 16, 0)  # Friday, before the change to summer time
    end = berlin(2026, 3, 30, 10, 0)  # Monday
    assert calendar.business_time_between(start, end) == timedelta(hours=2)
    assert calendar.business_time_between(end, start) == timedelta(0)
    week = calendar.business_time_between(berlin(2026, 3, 30), berlin(2026, 4, 6))
    assert week == timedelta(hours=4 * 8)  # Good Friday off
    # The two functions agree: adding what lies between gets back to the end.
    assert calendar.add_business_time(start, calendar.business_time_between(start, end)) == end


def test_without_a_country_only_weekends_pause() -> None:
    calendar = calendar_for("organisation: {name: A, time_zone: America/New_York}\n")
    july_third = datetime(2026, 7, 3, 16, 0, tzinfo=NEW_YORK)  # observed Independence Day
    assert calendar.add_business_time(july_third, timedelta(hours=1)) == datetime(
        2026, 7, 3, 17, 0, tzinfo=NEW_YORK
    )
    with_holidays = calendar_for(
        "organisation: {name: A, time_zone: America/New_York}\nholidays: {country: US}\n"
    )
    assert with_holidays.add_business_time(july_third, timedelta(hours=1)) == datetime(
        2026, 7, 6, 10, 0, tzinfo=NEW_YORK
    )


def test_times_must_carry_a_zone_and_durations_be_positive(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        calendar.is_business_time(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError, match="time-zone-aware"):
        calendar.next_business_day_end(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError, match="negative"):
        calendar.add_business_time(berlin(2026, 3, 2, 10, 0), timedelta(minutes=-1))
