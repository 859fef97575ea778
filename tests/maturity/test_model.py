"""The maturity model: levels from answers and measured signals (pure)."""

from __future__ import annotations

from fireline.maturity.model import AREAS, CRITERIA, QUESTIONS, SIGNALS, assess, overall

ALL_YES = {q.key: True for q in QUESTIONS}
STRONG = {
    key: (0.5 if signal.lower_is_better else (10.0 if signal.unit == "count" else 1.0))
    for key, signal in SIGNALS.items()
}


def by_area(answers: dict[str, bool], signals: dict[str, float | None]) -> dict[str, int]:
    return {r.area: r.level for r in assess(answers, signals)}


def test_every_area_has_criteria_for_each_level_above_the_first() -> None:
    for area in AREAS:
        assert {c.level for c in CRITERIA if c.area == area} == {2, 3, 4, 5}, area


def test_nothing_answered_or_measured_is_level_one_with_the_next_milestones() -> None:
    results = assess({}, {})
    assert {r.level for r in results} == {1}
    detection = next(r for r in results if r.area == "detection")
    assert [m.question for m in detection.next_milestones] == ["monitoring_alerts"]
    assert overall(results) == 1


def test_answers_alone_stop_where_measurement_is_needed() -> None:
    levels = by_area(ALL_YES, {})
    assert levels["triage"] == 2  # level 3 needs the commander share measured
    assert levels["mitigation"] == 3  # level 4 needs SLA and MTTR figures


def test_strong_answers_and_signals_reach_the_top() -> None:
    assert set(by_area(ALL_YES, STRONG).values()) == {5}


def test_a_level_needs_every_level_below_it() -> None:
    signals = dict(STRONG)
    answers = {**ALL_YES, "runbooks": False}
    assert by_area(answers, signals)["mitigation"] == 1


def test_a_slow_recovery_holds_mitigation_below_optimising_with_the_evidence() -> None:
    signals = {**STRONG, "median_mttr_hours": 3.5}
    result = next(r for r in assess(ALL_YES, signals) if r.area == "mitigation")
    assert result.level == 4
    assert [m.signal for m in result.next_milestones] == ["median_mttr_hours"]
    mttr = [c for c in result.checks if c.criterion.signal == "median_mttr_hours"]
    assert [c.evidence for c in mttr] == ["measured 3.5 h", "measured 3.5 h"]
    assert [c.met for c in mttr] == [True, False]


def test_the_weakest_area_is_the_organisations_level() -> None:
    signals = {**STRONG, "exercises_last_quarter": 0.0}
    results = assess(ALL_YES, signals)
    assert next(r for r in results if r.area == "preparation").level == 3
    assert overall(results) == 3
