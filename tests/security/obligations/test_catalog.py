"""Pure parts around the clocks: the catalog a plan offers, an obligation
kept as data, reminder timers, and times people state."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.core.errors import InvalidInput
from fireline.plan import default_plan, load_plan_text
from fireline.plan.calendar import BusinessCalendar
from fireline.security.obligations import catalog
from fireline.security.obligations.clocks import PRESETS, Span, Unit, clocks
from fireline.security.obligations.timers import ESCALATE, REMIND, timers
from fireline.security.obligations.times import stated_time

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UTC_WEEK = BusinessCalendar(zone=ZoneInfo("UTC"), hours={d: (time(9), time(17)) for d in range(5)})

PLAN = """
organisation: {name: Acme}
obligations:
  - key: gdpr
    name: GDPR Art. 33 as our DPO reads it
    trigger: became aware of a personal-data breach
    stages:
      - {key: authority, name: Supervisory authority, clocks: [[trigger, 48h]]}
  - key: pci_dss
    name: PCI DSS card brands
    trigger: suspected compromise of cardholder data
    stages:
      - {key: brands, name: Card brands and acquirer, clocks: [[trigger, 24h]]}
      - key: forensics
        name: PFI report
        clocks: [[brands, 10 business days], [aware, 1 month]]
        when: confirmed
    conditions:
      confirmed: Is the compromise confirmed?
"""


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_survives_being_kept_as_data(key: str) -> None:
    assert catalog.from_data(catalog.to_data(PRESETS[key])) == PRESETS[key]


def test_the_plan_adds_obligations_and_replaces_a_preset_of_the_same_key() -> None:
    plan = load_plan_text(PLAN)
    offered = catalog.catalog(plan)
    assert list(offered) == [
        "gdpr",
        "nis2",
        "dora",
        "sec_8k",
        "hipaa",
        "nydfs",
        "circia",
        "pci_dss",
    ]
    assert offered["gdpr"].name == "GDPR Art. 33 as our DPO reads it"
    assert offered["gdpr"].stages[0].clocks == (("trigger", Span(48, Unit.hours)),)
    assert catalog.origin(plan, "gdpr") == "plan" and catalog.origin(plan, "nis2") == "preset"
    pci = offered["pci_dss"]
    assert catalog.moments(pci) == ["trigger", "aware"]
    assert pci.stages[1].when == "confirmed"
    assert catalog.describe_clock(pci, "brands", Span(10, Unit.business_days)) == (
        "10 business days after the card brands and acquirer is submitted"
    )
    # A plan obligation runs like a preset: chained to the first stage's submission.
    found = clocks(
        pci,
        started={"trigger": NOW},
        submitted={"brands": NOW + timedelta(hours=20)},
        conditions={"confirmed": True},
        calendar=UTC_WEEK,
        now=NOW + timedelta(hours=20),
    )
    # Submitted Tuesday 3 March: ten business days on is Tuesday 17 March, at closing.
    assert found[1].due_at == datetime(2026, 3, 17, 17, 0, tzinfo=UTC)


def test_reminders_follow_the_plan_longest_first_and_mark_due_soon() -> None:
    assert catalog.reminder_points(default_plan()) == [
        timedelta(hours=24),
        timedelta(hours=4),
        timedelta(hours=1),
    ]
    plan = load_plan_text("organisation: {name: A}\nobligation_reminders: [30m, 2d]\n")
    assert catalog.reminder_points(plan) == [timedelta(days=2), timedelta(minutes=30)]
    assert catalog.due_soon_window(plan) == timedelta(days=2)


def test_timers_remind_at_the_points_still_ahead_and_escalate_after_the_deadline() -> None:
    nis2 = clocks(
        PRESETS["nis2"],
        started={"trigger": NOW - timedelta(hours=20)},
        submitted={},
        conditions={},
        calendar=UTC_WEEK,
        now=NOW,
    )
    found = list(timers(nis2, [timedelta(hours=24), timedelta(hours=1)], NOW))
    early = NOW + timedelta(hours=4)
    late = NOW + timedelta(hours=52)
    assert [(t.kind, t.stage, t.due_at) for t in found] == [
        # The early warning's 24 h point has passed: only the hour before, then the escalation.
        (REMIND, "early_warning", early - timedelta(hours=1)),
        (ESCALATE, "early_warning", early + timedelta(seconds=1)),
        (REMIND, "notification", late - timedelta(hours=24)),
        (REMIND, "notification", late - timedelta(hours=1)),
        (ESCALATE, "notification", late + timedelta(seconds=1)),
        # The final report waits for the notification: no timers yet.
    ]


def test_a_deadline_already_missed_escalates_at_once() -> None:
    gdpr = clocks(
        PRESETS["gdpr"],
        started={"trigger": NOW - timedelta(days=4)},
        submitted={},
        conditions={},
        calendar=UTC_WEEK,
        now=NOW,
    )
    assert [(t.kind, t.due_at) for t in timers(gdpr, [timedelta(hours=1)], NOW)] == [
        (ESCALATE, NOW)
    ]


@pytest.mark.parametrize(
    ("at", "zone", "expected", "label"),
    [
        (datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")), None, "08:00", "UTC+01:00"),
        (datetime(2026, 3, 2, 4, 0), "America/New_York", "09:00", "America/New_York"),
        # An offset of its own that the named zone does not have wins.
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "Asia/Tokyo", "08:00", "UTC"),
        (
            datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
            "Asia/Tokyo",
            "08:00",
            "Asia/Tokyo",
        ),
        (datetime(2026, 3, 1, 22, 0, tzinfo=UTC), None, "22:00", "UTC"),
    ],
)
def test_stated_times_keep_the_zone_they_were_given_in(
    at: datetime, zone: str | None, expected: str, label: str
) -> None:
    moment, stated = stated_time(at, zone, now=NOW, field="at")
    assert moment.tzinfo is UTC and f"{moment:%H:%M}" == expected and stated == label


def test_stated_times_need_a_zone_and_a_past() -> None:
    with pytest.raises(InvalidInput, match="with its time zone") as naive:
        stated_time(datetime(2026, 3, 2, 8, 0), None, now=NOW, field="trigger_at")
    assert naive.value.field == "trigger_at"
    with pytest.raises(InvalidInput, match="in the future"):
        stated_time(NOW + timedelta(minutes=5), None, now=NOW, field="at")
    with pytest.raises(InvalidInput, match="unknown time zone") as zone:
        stated_time(datetime(2026, 3, 2, 8, 0), "Europe", now=NOW, field="at")
    assert zone.value.field == "time_zone"
    # A clock a few seconds ahead of the server's states "now", not the future.
    assert stated_time(NOW + timedelta(seconds=20), None, now=NOW, field="at")[0] == NOW
