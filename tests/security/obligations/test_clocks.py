"""Notification obligation clocks: pure arithmetic on the presets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.plan.calendar import BusinessCalendar
from fireline.security.obligations.clocks import (
    PRESETS,
    Clock,
    Span,
    State,
    Unit,
    clocks,
    deadline,
    open_deadlines,
)

NEW_YORK = BusinessCalendar(
    zone=ZoneInfo("America/New_York"),
    hours={d: (time(9), time(17)) for d in range(5)},
    country="US",
)
# Wednesday 25 November 2026, 15:00 in New York; Thanksgiving is the 26th.
AWARE = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def by_key(found: list[Clock]) -> dict[str, Clock]:
    return {c.stage.key: c for c in found}


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("72h", Span(72, Unit.hours)),
        ("60 days", Span(60, Unit.days)),
        ("4 business days", Span(4, Unit.business_days)),
        ("1 month", Span(1, Unit.months)),
    ],
)
def test_spans_read_as_written(text: str, span: Span) -> None:
    assert Span.parse(text) == span


@pytest.mark.parametrize("text", ["", "0h", "soon", "3 weeks", "-1 days"])
def test_other_spans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a span"):
        Span.parse(text)


def test_business_days_skip_weekends_and_public_holidays_and_end_at_closing() -> None:
    # Wed 25 Nov: Thu 26 is Thanksgiving, so Fri 27, Mon 30, Tue 1, Wed 2 Dec.
    due = deadline(AWARE, Span(4, Unit.business_days), NEW_YORK)
    assert due == datetime(2026, 12, 2, 17, 0, tzinfo=ZoneInfo("America/New_York"))


def test_calendar_days_keep_the_local_time_across_a_dst_change() -> None:
    before_dst_ends = datetime(2026, 10, 20, 13, 0, tzinfo=UTC)  # 09:00 EDT
    due = deadline(before_dst_ends, Span(30, Unit.days), NEW_YORK)
    assert due.astimezone(NEW_YORK.zone).hour == 9  # 09:00 EST, an hour later in UTC
    assert due == datetime(2026, 11, 19, 14, 0, tzinfo=UTC)


def test_a_month_on_the_31st_ends_on_the_last_day_of_a_shorter_month() -> None:
    start = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    due = deadline(start, Span(1, Unit.months), NEW_YORK)
    assert due.astimezone(NEW_YORK.zone).date().isoformat() == "2027-02-28"


def test_nis2_chains_the_final_report_to_the_notification() -> None:
    nis2 = PRESETS["nis2"]
    now = AWARE + timedelta(hours=30)
    state = by_key(
        clocks(
            nis2,
            started={"trigger": AWARE},
            submitted={},
            conditions={},
            calendar=NEW_YORK,
            now=now,
        )
    )
    assert state["early_warning"].state is State.missed
    assert state["notification"].state is State.open
    assert state["notification"].due_at == AWARE + timedelta(hours=72)
    assert state["final_report"].state is State.waiting
    sent = AWARE + timedelta(hours=70)
    later = by_key(
        clocks(
            nis2,
            started={"trigger": AWARE},
            submitted={"early_warning": AWARE + timedelta(hours=25), "notification": sent},
            conditions={},
            calendar=NEW_YORK,
            now=sent,
        )
    )
    assert later["early_warning"].state is State.late
    assert later["notification"].state is State.submitted
    assert later["final_report"].due_at is not None
    assert later["final_report"].due_at.astimezone(NEW_YORK.zone).date().isoformat() == "2026-12-28"


def test_dora_initial_notification_takes_the_earlier_of_its_two_clocks() -> None:
    classified = AWARE + timedelta(hours=22)
    state = by_key(
        clocks(
            PRESETS["dora"],
            started={"trigger": classified, "aware": AWARE},
            submitted={},
            conditions={},
            calendar=NEW_YORK,
            now=classified,
        )
    )
    # 4 h after classification would be 26 h after awareness: 24 h wins.
    assert state["initial"].due_at == AWARE + timedelta(hours=24)
    assert state["initial"].state is State.due_soon


def test_conditional_stages_apply_only_when_confirmed() -> None:
    hipaa = PRESETS["hipaa"]
    small = by_key(
        clocks(
            hipaa,
            started={"trigger": AWARE},
            submitted={},
            conditions={"under_500": True},
            calendar=NEW_YORK,
            now=AWARE,
        )
    )
    assert small["media"].state is State.not_applicable
    assert small["hhs"].state is State.not_applicable
    # The annual log: 60 days after the end of the year of discovery.
    assert small["hhs_log"].due_at is not None
    assert small["hhs_log"].due_at.astimezone(NEW_YORK.zone).date().isoformat() == "2027-03-01"
    gdpr = by_key(
        clocks(
            PRESETS["gdpr"],
            started={"trigger": AWARE},
            submitted={},
            conditions={"high_risk": True},
            calendar=NEW_YORK,
            now=AWARE,
        )
    )
    assert gdpr["data_subjects"].state is State.open and gdpr["data_subjects"].due_at is None


def test_a_ransom_clock_waits_for_the_payment() -> None:
    def ransom(started: dict[str, datetime]) -> Clock:
        found = clocks(
            PRESETS["circia"],
            started=started,
            submitted={},
            conditions={"ransom": True},
            calendar=NEW_YORK,
            now=AWARE,
        )
        return by_key(found)["ransom"]

    assert ransom({"trigger": AWARE}).state is State.waiting
    paid = AWARE + timedelta(hours=5)
    assert ransom({"trigger": AWARE, "ransom_paid": paid}).due_at == paid + timedelta(hours=24)


def test_open_deadlines_across_incidents_come_soonest_first() -> None:
    def running(preset: str, start: datetime) -> list[Clock]:
        return clocks(
            PRESETS[preset],
            started={"trigger": start},
            submitted={},
            conditions={},
            calendar=NEW_YORK,
            now=AWARE,
        )

    listed = open_deadlines([("INC-1", running("gdpr", AWARE)), ("INC-2", running("nis2", AWARE))])
    assert [(ref, c.stage.key) for ref, c in listed] == [
        ("INC-2", "early_warning"),
        ("INC-1", "authority"),
        ("INC-2", "notification"),
    ]
