"""Periods, presets, the previous period and buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fireline.core.errors import InvalidInput
from fireline.insights.period import Period, choose_period, parse_day

TODAY = date(2026, 5, 20)


def test_presets_and_the_previous_period_of_the_same_length() -> None:
    last30 = choose_period(since=None, until=None, preset="30d", today=TODAY, zone="UTC")
    assert (last30.first_day, last30.last_day, last30.days) == (date(2026, 4, 21), TODAY, 30)
    before = last30.previous()
    assert (before.first_day, before.last_day) == (date(2026, 3, 22), date(2026, 4, 20))
    quarter = choose_period(since=None, until=None, preset="quarter", today=TODAY, zone="UTC")
    assert quarter.first_day == date(2026, 4, 1)
    default = choose_period(since=None, until=None, preset=None, today=TODAY, zone="UTC")
    assert default.days == 90


def test_days_win_over_a_preset_and_bad_ones_name_their_field() -> None:
    chosen = choose_period(
        since=date(2026, 1, 1), until=date(2026, 1, 31), preset="30d", today=TODAY, zone="UTC"
    )
    assert (chosen.days, chosen.unit) == (31, "week")
    with pytest.raises(InvalidInput) as backwards:
        choose_period(since=TODAY, until=date(2026, 1, 1), preset=None, today=TODAY, zone="UTC")
    assert backwards.value.field == "until"
    with pytest.raises(InvalidInput) as too_long:
        choose_period(since=date(2024, 1, 1), until=TODAY, preset=None, today=TODAY, zone="UTC")
    assert too_long.value.field == "since"
    with pytest.raises(InvalidInput) as unknown:
        choose_period(since=None, until=None, preset="7y", today=TODAY, zone="UTC")
    assert unknown.value.field == "preset"
    with pytest.raises(InvalidInput) as garbled:
        parse_day("2026-13-01", "since")
    assert garbled.value.field == "since"


def test_days_are_the_organisations_and_long_periods_go_by_month() -> None:
    berlin = Period(date(2026, 3, 1), date(2026, 3, 31), "Europe/Berlin")
    assert berlin.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert berlin.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time by then
    weeks = berlin.buckets()
    assert weeks[0].label == "Mar 01" and weeks[1].label == "Mar 02"  # Sunday, then Monday
    assert weeks[-1].end == berlin.end
    year = Period(date(2025, 6, 15), date(2026, 6, 14), "UTC")
    months = year.buckets()
    assert year.unit == "month" and len(months) == 13
    assert months[0].label == "2025-06" and months[1].start == datetime(2025, 7, 1, tzinfo=UTC)
