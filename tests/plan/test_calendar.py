"""Business time in the plan's zone, with weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.plan import load_plan_text
from fireline.plan.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def calendar() -> BusinessCalendar:
    plan = load_plan_text(
        "organisation: {name: Acme, time_zone: Europe/Berlin}\n"
        "holidays: {country: DE, subdivision: BE}\n"
    )
    return BusinessCalendar.from_plan(plan)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_business_time_respects_hours_weekends_and_holidays(calendar: BusinessCalendar) -> None:
    assert calendar.is_business_time(berlin(2026, 3, 2, 9, 0))  # Monday
    assert not calendar.is_business_time(berlin(2026, 3, 2, 17, 0))
    assert not calendar.is_business_time(berlin(2026, 3, 7, 12, 0))  # Saturday
    assert not calendar.is_business_time(berlin(2026, 4, 3, 12, 0))  # Good Friday
    assert calendar.holiday_name(berlin(2026, 4, 6).date()) == "Easter Monday"
    # 08:30 UTC on a winter Monday is 09:30 in Berlin.
    assert calendar.is_business_time(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))


def test_adding_business_hours_skips_nights_and_weekends_across_dst(
    calendar: BusinessCalendar,
) -> None:
    # Friday 16:00 + 2 business hours: one hour on Friday, one on Monday, after
    # the clocks went forward on Sunday 29 March.
    due = calendar.add_business_time(berlin(2026, 3, 27, 16, 0), timedelta(hours=2))
    assert due == berlin(2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Started outside hours, the clock starts at the next opening.
    assert calendar.add_business_time(berlin(2026, 3, 2, 7, 0), timedelta(hours=4)) == berlin(
        2026, 3, 2, 13, 0
    )
    # Exactly a full day's worth ends at closing time, not the next morning.
    assert calendar.add_business_time(berlin(2026, 3, 2, 9, 0), timedelta(hours=8)) == berlin(
        2026, 3, 2, 17, 0
    )


def test_easter_is_skipped(calendar: BusinessCalendar) -> None:
    thursday = berlin(2026, 4, 2, 16, 0)
    assert calendar.add_business_time(thursday, timedelta(hours=2)) == berlin(2026, 4, 7, 10, 0)
    assert calendar.next_business_day_end(berlin(2026, 4, 2, 10, 0)) == berlin(2026, 4, 7, 17, 0)


def test_next_business_day_is_the_close_of_the_following_business_day(
    calendar: BusinessCalendar,
) -> None:
    assert calendar.next_business_day_end(berlin(2026, 3, 2, 23, 0)) == berlin(2026, 3, 3, 17, 0)
    assert calendar.next_business_day_end(berlin(2026, 3, 6, 12, 0)) == berlin(2026, 3, 9, 17, 0)


def test_without_a_country_only_weekends_pause() -> None:
    plan = load_plan_text("organisation: {name: A, time_zone: America/New_York}\n")
    calendar = BusinessCalendar.from_plan(plan)
    ny = ZoneInfo("America/New_York")
    july_fourth = datetime(2026, 7, 3, 16, 0, tzinfo=ny)  # a Friday; no holidays configured
    assert calendar.add_business_time(july_fourth, timedelta(hours=1)) == datetime(
        2026, 7, 3, 17, 0, tzinfo=ny
    )
