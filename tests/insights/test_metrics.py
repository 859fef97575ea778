"""The metrics' definitions, on plain facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fireline.insights import metrics
from fireline.insights.metrics import IncidentFacts
from fireline.insights.period import Bucket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
NOW = T0 + timedelta(days=10)


def facts(**changes: object) -> IncidentFacts:
    base: dict[str, object] = {
        "id": 1,
        "ref": "INC-1",
        "title": "Checkout down",
        "severity": "SEV1",
        "type_key": "service_outage",
        "services": ("checkout",),
        "started_at": T0,
        "declared_at": T0 + 10 * M,
    }
    return IncidentFacts(**(base | changes))  # type: ignore[arg-type]


def test_each_span_runs_between_its_milestones() -> None:
    f = facts(
        detected_at=T0 + 4 * M,
        acknowledged_at=T0 + 13 * M,
        mitigated_at=T0 + 40 * M,
        resolved_at=T0 + 90 * M,
    )
    assert metrics.time_to_detect(f, NOW) == 240
    # From the detection, which came before the declaration.
    assert metrics.time_to_acknowledge(f, NOW) == 9 * 60
    assert metrics.time_to_mitigate(f, NOW) == 40 * 60
    assert metrics.time_to_resolve(f, NOW) == 90 * 60


def test_missing_milestones_fall_back_or_leave_the_span_out() -> None:
    f = facts(resolved_at=T0 + 60 * M)
    # Declared without a detection time: detected by the declaration at the latest.
    assert metrics.time_to_detect(f, NOW) == 600
    # Acknowledgement unknown: no span; resolution implies mitigation.
    assert metrics.time_to_acknowledge(f, NOW) is None
    assert metrics.time_to_mitigate(f, NOW) == 3600
    assert metrics.time_to_resolve(facts(), NOW) is None


def test_milestones_after_now_are_not_reached_and_spans_never_go_negative() -> None:
    f = facts(resolved_at=NOW + M, acknowledged_at=T0 + 5 * M, detected_at=T0 + 20 * M)
    assert metrics.time_to_resolve(f, NOW) is None
    # Acknowledged "before" the declaration (a commander chosen by hand early): zero, not negative.
    assert metrics.time_to_acknowledge(facts(acknowledged_at=T0 + 5 * M), NOW) == 0


def test_summary_has_mean_median_nearest_rank_p90_and_the_missing_count() -> None:
    spans = [60, 120, 180, 240, 300, 360, 420, 480, 540, 6000]
    incidents = [
        facts(id=i, resolved_at=T0 + s * timedelta(seconds=1)) for i, s in enumerate(spans)
    ]
    incidents.append(facts(id=99))  # still open
    summary = metrics.time_summary(incidents, "mttr", NOW)
    assert summary.count == 10 and summary.missing == 1
    assert summary.mean == pytest.approx(870)
    assert summary.median == 330
    assert summary.p90 == 540  # the 9th of 10 values: one outlier does not move it
    assert metrics.time_summary([], "mttr", NOW).median is None


def test_sla_compliance_counts_decided_clocks_only() -> None:
    incidents = [
        facts(id=1, response="met", resolution="met"),
        facts(id=2, response="missed", resolution="breached"),
        facts(id=3, response="met", resolution="running"),
        facts(id=4, severity="SEV4", response="met", resolution="none"),
    ]
    rows = metrics.sla_compliance(incidents, ["SEV1", "SEV2", "SEV4"])
    sev1, sev2, sev4 = rows
    assert (sev1.incidents, sev1.response.rate) == (3, pytest.approx(2 / 3))
    assert (sev1.resolution.met, sev1.resolution.missed, sev1.resolution.pending) == (1, 1, 1)
    assert sev1.resolution.rate == 0.5
    assert sev2.incidents == 0 and sev2.response.rate is None
    assert sev4.resolution.no_target == 1 and sev4.resolution.rate is None
    overall = metrics.overall_compliance(rows)
    assert (overall.met, overall.missed, overall.rate) == (4, 2, pytest.approx(4 / 6))


def test_counts_and_buckets_by_declaration_time() -> None:
    week = timedelta(days=7)
    buckets = [Bucket("w1", T0, T0 + week), Bucket("w2", T0 + week, T0 + 2 * week)]
    incidents = [
        facts(id=1, services=("checkout", "payments"), resolved_at=T0 + 30 * M),
        facts(id=2, severity="SEV2", declared_at=T0 + week + M, started_at=T0 + week),
        facts(id=3, severity="SEV2", declared_at=T0 + 3 * week, started_at=T0 + 3 * week),
    ]
    assert metrics.counts_by_service(incidents) == {"checkout": 3, "payments": 1}
    assert metrics.counts_by_severity(incidents) == {"SEV1": 1, "SEV2": 2}
    rows = metrics.over_time(incidents, buckets, NOW)
    assert [r.total for r in rows] == [1, 1]
    assert rows[0].mttr_median == 1800 and rows[1].mttr_median is None
    assert rows[1].by_severity == {"SEV2": 1}
