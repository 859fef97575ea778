"""Uptime bars from status changes: days cut in the page's zone (DST
included), partial outages weighted, days before a component existed empty."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from fireline.comms.status.uptime import DAYS, Change, Day, daily, uptime_percent

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str, zone: tzinfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def day_of(days: list[Day], wanted: date) -> Day:
    return next(d for d in days if d.day == wanted)


def test_ninety_days_oldest_first_ending_today_in_the_page_zone() -> None:
    # 23:30 UTC on March 1 is already March 2 in Berlin.
    now = at("2026-03-01T23:30")
    days = daily([Change(now - timedelta(days=400), "operational")], now=now, zone=BERLIN)
    assert len(days) == DAYS
    assert days[-1].day == date(2026, 3, 2)
    assert days[0].day == date(2026, 3, 2) - timedelta(days=DAYS - 1)
    assert [d.day for d in days] == sorted(d.day for d in days)
    assert days[-1].observed == pytest.approx(30 * 60)  # only the part of today that is past


def test_after_a_dst_change_days_still_start_at_local_midnight() -> None:
    now = at("2026-11-10T12:00")
    changes = [
        Change(now - timedelta(days=300), "operational"),
        # Berlin is UTC+2 after March 29: 22:00-23:00 UTC is 00:00-01:00 on March 30.
        Change(at("2026-03-29T22:00"), "major_outage"),
        Change(at("2026-03-29T23:00"), "operational"),
        # And UTC+1 again after October 25: 23:30 UTC on the 26th is the 27th.
        Change(at("2026-10-26T23:30"), "partial_outage"),
        Change(at("2026-10-27T00:30"), "operational"),
    ]
    days = daily(changes, now=now, zone=BERLIN, days=300)
    assert day_of(days, date(2026, 3, 29)).worst == "operational"
    assert day_of(days, date(2026, 3, 30)).seconds == {"major_outage": 3600}
    assert day_of(days, date(2026, 10, 26)).worst == "operational"
    assert day_of(days, date(2026, 10, 27)).seconds == {"partial_outage": 3600}


# uptime.daily subtracts two datetimes of the same ZoneInfo, which Python does
# on the wall clock: a DST day is observed as 24 hours instead of 23 or 25.
def test_a_spring_forward_day_has_23_hours_and_a_fall_back_day_25() -> None:
    now = at("2026-11-10T12:00")
    changes = [Change(now - timedelta(days=300), "operational")]
    days = daily(changes, now=now, zone=BERLIN, days=300)
    assert day_of(days, date(2026, 3, 30)).observed == 24 * 3600
    assert day_of(days, date(2026, 3, 29)).observed == 23 * 3600
    assert day_of(days, date(2026, 10, 25)).observed == 25 * 3600


def test_an_outage_is_split_at_local_midnight_not_utc_midnight() -> None:
    now = at("2026-03-05T12:00")
    changes = [
        Change(now - timedelta(days=10), "operational"),
        # 22:00-00:00 UTC is 23:00-01:00 in Berlin: one hour on each local day.
        Change(at("2026-03-03T22:00"), "major_outage"),
        Change(at("2026-03-04T00:00"), "operational"),
    ]
    days = daily(changes, now=now, zone=BERLIN)
    assert day_of(days, date(2026, 3, 3)).seconds == {"major_outage": 3600}
    assert day_of(days, date(2026, 3, 4)).seconds == {"major_outage": 3600}
    assert day_of(days, date(2026, 3, 3)).worst == "major_outage"
    assert day_of(days, date(2026, 3, 2)).worst == "operational"


def test_a_partial_outage_counts_at_thirty_percent_and_degraded_not_at_all() -> None:
    now = at("2026-03-05T12:00")
    changes = [
        Change(now - timedelta(days=10), "operational"),
        Change(at("2026-03-03T10:00"), "partial_outage"),
        Change(at("2026-03-03T12:00"), "degraded_performance"),
        Change(at("2026-03-03T14:00"), "operational"),
    ]
    day = day_of(daily(changes, now=now, zone=ZoneInfo("UTC")), date(2026, 3, 3))
    assert day.downtime == pytest.approx(0.3 * 2 * 3600)
    assert day.uptime == pytest.approx(1 - 0.3 * 2 / 24)
    assert day.worst == "partial_outage"  # the worst status, not the longest
    assert day.seconds["degraded_performance"] == 2 * 3600


def test_maintenance_is_shown_but_is_not_downtime() -> None:
    now = at("2026-03-05T12:00")
    changes = [
        Change(now - timedelta(days=10), "operational"),
        Change(at("2026-03-04T01:00"), "under_maintenance"),
        Change(at("2026-03-04T03:00"), "operational"),
    ]
    day = day_of(daily(changes, now=now, zone=ZoneInfo("UTC")), date(2026, 3, 4))
    assert day.worst == "under_maintenance"
    assert day.uptime == 1.0


def test_days_before_the_component_existed_have_no_data_and_do_not_count() -> None:
    now = at("2026-03-05T12:00")
    created = at("2026-03-04T12:00")
    changes = [
        Change(created, "operational"),
        Change(at("2026-03-05T00:00"), "major_outage"),
        Change(at("2026-03-05T06:00"), "operational"),
    ]
    days = daily(changes, now=now, zone=ZoneInfo("UTC"))
    before = [d for d in days if d.day < date(2026, 3, 4)]
    assert len(before) == DAYS - 2
    assert all(not d.has_data and d.uptime is None and d.worst is None for d in before)
    assert day_of(days, date(2026, 3, 4)).observed == 12 * 3600
    # 6 hours down out of 24 observed: the 88 empty days do not dilute it.
    assert uptime_percent(days) == 75.0


def test_a_status_set_before_the_window_still_counts_inside_it() -> None:
    now = at("2026-06-01T12:00")
    changes = [
        Change(at("2025-01-01T00:00"), "operational"),
        Change(at("2026-01-01T00:00"), "major_outage"),  # long before the 90 days
    ]
    days = daily(changes, now=now, zone=ZoneInfo("UTC"))
    assert all(d.worst == "major_outage" for d in days)
    assert uptime_percent(days) == 0.0


def test_uptime_percent_without_any_data_is_none() -> None:
    now = at("2026-03-05T12:00")
    future = daily([Change(now + timedelta(days=1), "operational")], now=now, zone=ZoneInfo("UTC"))
    assert all(not d.has_data for d in future)
    assert uptime_percent(future) is None
    assert uptime_percent([]) is None


def test_a_component_without_changes_has_no_data() -> None:
    now = at("2026-03-05T12:00")
    assert uptime_percent(daily([], now=now, zone=ZoneInfo("UTC"))) is None
