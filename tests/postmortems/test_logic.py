"""The pure parts: blameless check, draft template, due dates, closure rate, workflow."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.core.errors import InvalidInput
from fireline.plan import load_plan_text
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.loader import PlanError
from fireline.postmortems import blameless, schedule, workflow
from fireline.postmortems.closure import ItemDates, closure_rate
from fireline.postmortems.schema import DueWithin, PostmortemPolicy
from fireline.postmortems.template import ActionFact, Facts, KeyEvent, draft

UTC_ZONE = ZoneInfo("UTC")
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday


NAMES = blameless.names_of(
    [("Linus Ops", "linus@example.com"), ("Mira Payments", "mira.p@example.com"), ("Al", "al@x.io")]
)


def test_blameless_flags_a_name_or_handle_near_blaming_words() -> None:
    text = (
        "Linus forgot to renew the certificate. The deploy failed to roll back.\n"
        "It was @kenji's mistake. mira.p should have checked the dashboard! Mira Payments led well."
    )
    findings = blameless.check(text, NAMES)
    assert [(f.person, f.words) for f in findings] == [
        ("Linus", ("forgot",)),
        ("@kenji", ("mistake",)),
        ("mira.p", ("should have",)),
    ]
    assert "on-call engineer" in findings[0].suggestion
    assert "checklist or automation" in findings[0].suggestion


def test_blameless_leaves_systemic_sentences_and_short_names_alone() -> None:
    text = (
        "The runbook failed to mention the pooler. Linus Ops rolled back in 4 minutes. "
        "Al forgot nothing: the name is too short to tell from a word."
    )
    assert blameless.check(text, NAMES) == []
    assert "Linus Ops" in NAMES and "linus" in NAMES and "Al" not in NAMES


def test_the_longer_phrase_wins_over_the_word_inside_it() -> None:
    [finding] = blameless.check("Linus is to blame.", NAMES)
    assert finding.words == ("to blame",)


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {
        "ref": "INC-7",
        "title": "Checkout returns 502",
        "summary": "Card payments failed.",
        "severity": "SEV1",
        "severity_name": "Service down",
        "type_name": "Service outage",
        "time_zone": "Europe/Berlin",
        "started_at": T0,
        "declared_at": T0 + timedelta(minutes=4),
        "detected_at": T0 + timedelta(minutes=3),
        "mitigated_at": T0 + timedelta(minutes=24),
        "resolved_at": T0 + timedelta(minutes=54),
        "services": ("Checkout", "Payment gateway"),
        "commander": "Mira Payments",
        "roles": (("Communications lead", "Grace Hopper"),),
        "alert_groups": ("HighErrorRate on checkout",),
        "records": 1200,
        "events": (
            KeyEvent(T0 + timedelta(minutes=4), "Declared as SEV1 (Mira Payments)"),
            KeyEvent(T0 + timedelta(minutes=24), "Status identified → mitigated | rollback"),
        ),
        "playbooks": (("Service outage", 3, 5),),
        "action_items": (
            ActionFact(
                "Alert on certificate expiry", "Linus Ops", date(2026, 3, 20), "high", "open"
            ),
        ),
    }
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def test_the_draft_fills_facts_and_leaves_prompts_for_judgement() -> None:
    text = draft(facts(), PostmortemPolicy().sections)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Detection",
        "## Response",
        "## Contributing factors",
        "## What went well",
        "## What went poorly",
        "## Where we got lucky",
        "## Action items",
        "## Lessons learned",
    ]
    assert text.startswith("# Post-mortem: INC-7: Checkout returns 502\n")
    assert "- **Duration of impact:** 24 min" in text
    assert "- **Time to resolve:** 54 min" in text
    assert "- **Records affected:** 1,200" in text
    assert "- **Affected services:** Checkout, Payment gateway" in text
    # Times in the organisation's zone (CET is UTC+1 in March), pipes escaped in the table.
    assert "| 2026-03-02 15:24 | Status identified → mitigated \\| rollback |" in text
    assert "Monitoring alerted: HighErrorRate on checkout." in text
    assert "(3 min after it started)" in text
    assert "- **Communications lead:** Grace Hopper" in text
    assert "- **Playbook:** Service outage, 3 of 5 steps settled" in text
    assert "| Alert on certificate expiry | Linus Ops | 2026-03-20 | high | open |" in text
    assert "> To write: Which conditions in systems" in text


def test_a_plan_template_of_its_own_is_followed() -> None:
    policy = PostmortemPolicy.model_validate(
        {
            "sections": [
                {"key": "timeline", "heading": "What happened"},
                {"key": "why", "heading": "Why", "prompt": "Five whys."},
            ]
        }
    )
    text = draft(facts(events=()), policy.sections)
    assert "## What happened\n\nNo key events were recorded." in text
    assert "## Why\n\n> To write: Five whys." in text
    assert "## Summary" not in text


def test_the_plan_section_is_validated_with_line_numbers() -> None:
    with pytest.raises(PlanError) as caught:
        load_plan_text(
            "organisation: {name: A}\npostmortem:\n  due_within: 2 weeks\n  remind_before: [1, 1]\n"
        )
    text = str(caught.value)
    assert "fireline.yaml:3:" in text and "2 weeks" in text
    assert "fireline.yaml:4:" in text and "listed twice" in text
    with pytest.raises(PlanError, match=r"postmortem.required_for\[0\]: unknown severity 'SEV9'"):
        load_plan_text("organisation: {name: A}\npostmortem: {required_for: [SEV9]}\n")
    plan = load_plan_text("organisation: {name: A}\npostmortem: {required_for: [SEV3]}\n")
    assert plan.postmortem.requires("SEV3") and not plan.postmortem.requires("SEV1")


def test_custom_severities_keep_the_built_in_section_valid() -> None:
    plan = load_plan_text(
        "organisation: {name: A}\nclassification: {questions: []}\n"
        "severities: [{key: P1, name: Down, response: 15m, resolution: 1h}]\n"
    )
    assert not plan.postmortem.requires("P1") and plan.postmortem.requires("SEV1")


def test_due_dates_count_business_days_past_weekends_and_holidays() -> None:
    plan = load_plan_text(
        "organisation: {name: A, time_zone: Europe/Berlin}\nholidays: {country: DE}\n"
    )
    calendar = BusinessCalendar.from_plan(plan)
    # Thursday 2 April 2026, late evening in Berlin: Good Friday and Easter Monday are holidays.
    resolved = datetime(2026, 4, 2, 21, 30, tzinfo=UTC)
    assert schedule.due_date(calendar, resolved, DueWithin("5 business days")) == date(2026, 4, 13)
    assert schedule.due_date(calendar, resolved, DueWithin("10 days")) == date(2026, 4, 12)
    # 23:30 UTC is already Friday in Berlin.
    late = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    assert schedule.due_date(calendar, late, DueWithin("1 business day")) == date(2026, 3, 9)


def test_reminders_skip_the_past_and_overdue_starts_the_next_day() -> None:
    zone = ZoneInfo("Europe/Berlin")
    due = date(2026, 3, 9)
    now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # after the 2-days-before reminder
    assert schedule.reminder_times(zone, time(9), due, [2, 0], now) == [
        (0, datetime(2026, 3, 9, 9, 0, tzinfo=zone))
    ]
    assert schedule.overdue_at(zone, due) == datetime(2026, 3, 10, 0, 0, tzinfo=zone)
    assert not schedule.is_overdue(zone, due, datetime(2026, 3, 9, 22, 59, tzinfo=UTC))
    assert schedule.is_overdue(zone, due, datetime(2026, 3, 9, 23, 0, tzinfo=UTC))


def test_closure_on_time_rate() -> None:
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    items = [
        ItemDates(date(2026, 3, 10), datetime(2026, 3, 10, 22, 0, tzinfo=UTC)),  # on the day
        ItemDates(date(2026, 3, 10), datetime(2026, 3, 11, 8, 0, tzinfo=UTC)),  # a day late
        ItemDates(date(2026, 3, 12), None),  # open, overdue
        ItemDates(date(2026, 3, 30), None),  # open, not yet due
        ItemDates(None, None),  # no due date
        ItemDates(date(2026, 3, 1), datetime(2026, 3, 5, tzinfo=UTC), wont_do=True),
        ItemDates(date(2026, 3, 25), datetime(2026, 3, 19, tzinfo=UTC)),  # early
    ]
    result = closure_rate(items, UTC_ZONE, now)
    assert (result.on_time, result.late, result.pending) == (2, 2, 2)
    assert result.rate == 0.5
    assert closure_rate([], UTC_ZONE, now).rate is None
    # Closing at 23:30 UTC on the due day is the next day in Berlin: late there.
    berlin = closure_rate(
        [ItemDates(date(2026, 3, 10), datetime(2026, 3, 10, 23, 30, tzinfo=UTC))],
        ZoneInfo("Europe/Berlin"),
        now,
    )
    assert berlin.late == 1


def test_the_workflow_refuses_what_is_out_of_turn() -> None:
    with pytest.raises(InvalidInput) as no_reviewers:
        workflow.check_submit("draft", 0, "text")
    assert no_reviewers.value.field == "reviewers"
    with pytest.raises(workflow.WorkflowRefused, match="only a draft"):
        workflow.check_submit("in_review", 1, "text")
    with pytest.raises(InvalidInput) as no_comment:
        workflow.check_review("in_review", "changes_requested", " ")
    assert no_comment.value.field == "comment"
    with pytest.raises(InvalidInput, match="unknown decision"):
        workflow.check_review("in_review", "maybe", "")
    with pytest.raises(workflow.WorkflowRefused, match="1 of 2 have not"):
        workflow.check_publish("in_review", ["approved", "pending"])
    workflow.check_publish("in_review", ["approved", "approved"])
    assert workflow.status_after_review("changes_requested") == "draft"
    assert workflow.status_after_review("approved") == "in_review"
    with pytest.raises(workflow.WorkflowRefused, match="published"):
        workflow.check_editable("published")
