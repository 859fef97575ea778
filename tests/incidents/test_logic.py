"""Pure incident logic: lifecycles and milestones, SLA clocks, severity suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.core.errors import InvalidInput
from fireline.incidents.classification import suggest_severity
from fireline.incidents.lifecycle import (
    Milestone,
    TransitionRefused,
    is_open,
    plan_retype,
    plan_transition,
)
from fireline.incidents.sla import ClockKind, ClockStatus, clock_state
from fireline.plan import default_plan, load_plan_text
from fireline.plan.calendar import BusinessCalendar

PLAN = default_plan()
OPERATIONAL = PLAN.lifecycle("operational")
SECURITY = PLAN.lifecycle("security")
NONE: frozenset[Milestone] = frozenset()


def test_allowed_transition_reaches_its_milestones() -> None:
    move = plan_transition(OPERATIONAL, "identified", "mitigated", NONE)
    assert move.milestones == (Milestone.mitigated,)
    straight = plan_transition(OPERATIONAL, "triage", "resolved", NONE)
    assert straight.milestones == (Milestone.mitigated, Milestone.resolved)
    again = plan_transition(OPERATIONAL, "mitigated", "resolved", frozenset({Milestone.mitigated}))
    assert again.milestones == (Milestone.resolved,)


def test_security_containment_is_the_mitigation_milestone() -> None:
    move = plan_transition(SECURITY, "detection_and_analysis", "containment", NONE)
    assert move.milestones == (Milestone.mitigated,)


def test_refused_transition_names_the_allowed_ones() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_transition(OPERATIONAL, "triage", "closed", NONE)
    assert refused.value.message == (
        "cannot go from triage to closed; from triage the allowed states are "
        "investigating, identified, mitigated, resolved"
    )
    assert refused.value.field == "status" and refused.value.status == 409
    with pytest.raises(TransitionRefused, match="final"):
        plan_transition(OPERATIONAL, "closed", "triage", NONE)
    with pytest.raises(TransitionRefused, match="unknown state 'containment'"):
        plan_transition(OPERATIONAL, "triage", "containment", NONE)


def test_a_new_type_keeps_a_state_its_lifecycle_has() -> None:
    move = plan_retype(OPERATIONAL, "mitigated", None, frozenset({Milestone.mitigated}))
    assert (move.target, move.milestones) == ("mitigated", ())


def test_a_new_lifecycle_without_the_state_asks_where_the_incident_stands() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan_retype(SECURITY, "investigating", None, NONE)
    assert refused.value.field == "status"
    assert refused.value.message == (
        "the security lifecycle has no investigating state; say which state the incident"
        " is in now: detection_and_analysis, containment, eradication"
    )
    move = plan_retype(SECURITY, "investigating", "containment", NONE)
    assert (move.source, move.target, move.milestones) == (
        "investigating",
        "containment",
        (Milestone.mitigated,),
    )
    again = plan_retype(SECURITY, "mitigated", "containment", frozenset({Milestone.mitigated}))
    assert again.milestones == ()


def test_a_new_type_never_resolves_or_closes() -> None:
    for target in ("recovery", "post_incident", "closed", "triage"):
        with pytest.raises(TransitionRefused, match="open states: detection_and_analysis"):
            plan_retype(SECURITY, "investigating", target, NONE)


def test_open_until_resolved() -> None:
    assert is_open(OPERATIONAL, "mitigated")
    assert not is_open(OPERATIONAL, "resolved")
    assert not is_open(SECURITY, "recovery")


START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def state(
    severity: str, kind: ClockKind, now: datetime, stopped: datetime | None = None, plan=PLAN
):  # type: ignore[no-untyped-def]
    return clock_state(
        kind,
        plan.severity(severity),
        started_at=START,
        stopped_at=stopped,
        now=now,
        calendar=BusinessCalendar.from_plan(plan),
        warning_fraction=plan.sla_warning_fraction,
    )


def test_sev1_clocks_warn_then_breach() -> None:
    assert (
        state("SEV1", ClockKind.response, START + timedelta(minutes=5)).status
        is ClockStatus.running
    )
    warning = state("SEV1", ClockKind.response, START + timedelta(minutes=12))
    assert warning.status is ClockStatus.warning
    assert warning.warn_at == START + timedelta(minutes=11, seconds=15)
    assert warning.remaining(START + timedelta(minutes=12)) == timedelta(minutes=3)
    assert (
        state("SEV1", ClockKind.response, START + timedelta(minutes=15)).status
        is ClockStatus.breached
    )
    resolution = state("SEV1", ClockKind.resolution, START, stopped=START + timedelta(minutes=59))
    assert resolution.status is ClockStatus.met and resolution.deadline == START + timedelta(
        hours=1
    )
    late = state(
        "SEV2", ClockKind.resolution, START + timedelta(hours=9), stopped=START + timedelta(hours=5)
    )
    assert late.status is ClockStatus.missed


def test_sev3_counts_business_hours_and_resolves_next_business_day() -> None:
    plan = load_plan_text(
        "organisation: {name: Acme, time_zone: Europe/Berlin}\nholidays: {country: DE}\n"
    )
    berlin = ZoneInfo("Europe/Berlin")
    # Monday 10:00 UTC is 11:00 in Berlin: 4 business hours end at 15:00 Berlin.
    response = state("SEV3", ClockKind.response, START, plan=plan)
    assert response.deadline == datetime(2026, 3, 2, 15, 0, tzinfo=berlin)
    assert response.warn_at == datetime(2026, 3, 2, 14, 0, tzinfo=berlin)
    resolution = state("SEV3", ClockKind.resolution, START, plan=plan)
    assert resolution.deadline == datetime(2026, 3, 3, 17, 0, tzinfo=berlin)
    best_effort = state("SEV4", ClockKind.resolution, START + timedelta(days=30), plan=plan)
    assert best_effort.status is ClockStatus.none and best_effort.deadline is None


def test_severity_suggestion_takes_the_most_severe_answer() -> None:
    suggestion = suggest_severity(PLAN, {"impact": "minor", "scope": "many", "urgency": "stable"})
    assert suggestion is not None and suggestion.severity == "SEV2"
    assert suggestion.because == (
        "How many customers or systems are affected? A region, a plan tier or a large customer",
    )
    leak = suggest_severity(PLAN, {"impact": "none", "data_sensitivity": "confirmed"})
    assert leak is not None and leak.severity == "SEV1"
    assert suggest_severity(PLAN, {}) is None


def test_severity_suggestion_names_bad_answers() -> None:
    with pytest.raises(InvalidInput) as bad:
        suggest_severity(PLAN, {"impact": "apocalyptic"})
    assert (
        bad.value.field == "classification.impact"
        and "down, degraded, minor, none" in bad.value.message
    )
    with pytest.raises(InvalidInput, match="unknown question 'vibes'"):
        suggest_severity(PLAN, {"vibes": "bad"})


def test_plan_answers_must_point_at_known_severities() -> None:
    from fireline.plan import PlanError

    text = (
        "organisation: {name: A}\n"
        "classification:\n"
        "  questions:\n"
        "    - key: impact\n"
        "      text: How bad?\n"
        "      answers:\n"
        "        - {key: bad, text: Bad, severity: SEV9}\n"
        "        - {key: fine, text: Fine, severity: SEV4}\n"
    )
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "p.yaml")
    [problem] = caught.value.problems
    assert problem.render("p.yaml").startswith(
        "p.yaml:7:43: classification.questions[0].answers[0].severity: unknown severity 'SEV9'"
    )
