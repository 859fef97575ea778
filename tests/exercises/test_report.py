"""The after-action report from plain facts: response times against the
severity's SLAs, each inject's first response, objectives, Markdown and JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fireline.exercises import report
from fireline.exercises.report import Event, Facts, InjectIn, ObjectiveIn
from fireline.plan import default_plan

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def facts(**changes: object) -> Facts:
    base = {
        "title": "[EXERCISE] Checkout down",
        "scenario": "Checkout down after a failover",
        "kind": "game_day",
        "severity": "SEV1",
        "declared_at": START,
        "acknowledged_at": None,
        "mitigated_at": at(40),
        "resolved_at": None,
        "finished_at": at(90),
        "injects": [
            InjectIn("alert", "alert", "Alert to checkout: 5xx", at(0), at(0), frozenset({2})),
            InjectIn(
                "ceo",
                "message",
                "Message from communications_lead: CEO asks",
                at(20),
                at(20),
                frozenset({5}),
            ),
            InjectIn(
                "late",
                "question",
                "Question: roll back?",
                at(95),
                None,
                frozenset(),
                "the exercise had ended",
            ),
        ],
        "objectives": [
            ObjectiveIn("Acknowledge within 15 minutes", True, "at 09:06"),
            ObjectiveIn("Update stakeholders within 30 minutes", False, ""),
            ObjectiveIn("Name the trigger", None, ""),
        ],
        "events": [
            Event(1, at(0), "exercise_started", "Exercise started", "Grace"),
            Event(2, at(0), "alert_group_attached", "Alert", None),
            Event(3, at(6), "role_assigned", "", "Sam | ops"),
            Event(4, at(12), "note", "Pool exhausted on pg-main-2", "Linus"),
            Event(5, at(20), "exercise_inject", "Exercise inject: CEO asks", None),
            Event(6, at(20), "note", "Same minute as the inject: not an answer to it", "Linus"),
            Event(7, at(27), "stakeholder_update", "Campaign paused", "Mira"),
        ],
    }
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def test_response_times_against_the_sev1_slas() -> None:
    built = report.build(default_plan(), facts(), at(200))
    acknowledged, mitigated, resolved = built.measures
    # Nobody pressed acknowledge: the first person to act answered the alert.
    assert (acknowledged.at, acknowledged.target, acknowledged.status) == (
        at(6),
        timedelta(minutes=15),
        "met",
    )
    assert (mitigated.after, mitigated.target, mitigated.status) == (
        timedelta(minutes=40),
        None,
        "no target",
    )
    # Never resolved, and the exercise ended past the hour: the clock ran out.
    assert (resolved.at, resolved.status) == (None, "missed")
    quick = report.build(default_plan(), facts(finished_at=at(30)), at(200))
    assert quick.measures[2].status == "not reached"
    marked = report.build(
        default_plan(), facts(acknowledged_at=at(20), resolved_at=at(59)), at(200)
    )
    assert [m.status for m in marked.measures] == ["missed", "no target", "met"]


def test_each_inject_gets_the_first_answer_after_it() -> None:
    built = report.build(default_plan(), facts(), at(200))
    alert, ceo, late = built.injects
    assert (alert.first_response_at, alert.first_response_by) == (at(6), "Sam | ops")
    assert ceo.response_after == timedelta(minutes=7) and ceo.first_response_by == "Mira"
    assert late.first_response_at is None and late.skipped == "the exercise had ended"
    assert (built.objectives_met, built.objectives_judged) == (1, 2)


def test_markdown_and_json() -> None:
    built = report.build(default_plan(), facts(), at(200))
    text = report.to_markdown(built)
    assert text.startswith("# After-action report: [EXERCISE] Checkout down\n")
    assert "| acknowledged | 2026-03-02 09:06 UTC | 6m | 15m | met |" in text
    assert "| resolved | – | – | 1h 00m | missed |" in text
    assert (
        "| Message from communications_lead: CEO asks | message | 2026-03-02 09:20 UTC | 2026-03-02 09:27 UTC | 7m | Mira |"
        in text
    )
    assert "skipped: the exercise had ended" in text
    assert "## Objectives (1 of 3 met)" in text and "- **not judged**: Name the trigger" in text
    assert "| 2026-03-02 09:06 UTC | role assigned | Sam \\| ops |" in text
    data = report.to_json(built)
    assert data["response_times"][0] == {
        "milestone": "acknowledged",
        "at": at(6).isoformat(),
        "after_seconds": 360.0,
        "sla_seconds": 900.0,
        "result": "met",
    }
    assert data["injects"][1]["response_after_seconds"] == 420.0
    assert data["objectives_met"] == 1 and len(data["timeline"]) == 7


def test_a_severity_the_plan_dropped_has_no_targets() -> None:
    built = report.build(default_plan(), facts(severity="SEV9"), at(200))
    assert [m.status for m in built.measures] == ["no target", "no target", "no target"]


def test_spans() -> None:
    assert [report.span(timedelta(seconds=s)) for s in (45, 60, 750, 3900)] == [
        "45s",
        "1m",
        "12m 30s",
        "1h 05m",
    ]
    assert report.span(None) == "–"
