"""Response metrics from incident milestones: MTTD, MTTA, MTTM, MTTR, SLA
compliance and counts over time.

Pure: plain facts about incidents in, numbers out. Every time is wall-clock
time (nights and weekends count: customers were affected through them), and
a milestone later than ``now`` is treated as not reached yet. The precise
definitions are in docs/insights.md.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fireline.insights.period import Bucket

TIME_METRICS = ("mttd", "mtta", "mttm", "mttr")
TIME_METRIC_NAMES = {
    "mttd": "Mean time to detect",
    "mtta": "Mean time to acknowledge",
    "mttm": "Mean time to mitigate",
    "mttr": "Mean time to resolve",
}


@dataclass(frozen=True)
class IncidentFacts:
    id: int
    ref: str
    title: str
    severity: str
    type_key: str
    services: tuple[str, ...]
    started_at: datetime
    declared_at: datetime
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    # The SLA clocks' statuses (fireline.incidents.sla.ClockStatus values).
    response: str = "none"
    resolution: str = "none"
    postmortem_status: str | None = None


@dataclass(frozen=True)
class Summary:
    """Seconds: how many incidents had the span, how many did not (yet), and its spread."""

    count: int
    missing: int
    mean: float | None
    median: float | None
    p90: float | None


def _reached(at: datetime | None, now: datetime) -> datetime | None:
    return at if at is not None and at <= now else None


def _span(start: datetime, stop: datetime | None) -> float | None:
    # A stop recorded before its start (a milestone corrected by hand) is a
    # zero-length span rather than a negative one.
    return None if stop is None else max(0.0, (stop - start).total_seconds())


def time_to_detect(f: IncidentFacts, now: datetime) -> float | None:
    """Started → detected; an incident declared without a detection time was
    detected when it was declared at the latest."""
    return _span(f.started_at, _reached(f.detected_at, now) or f.declared_at)


def time_to_acknowledge(f: IncidentFacts, now: datetime) -> float | None:
    """The first of detected and declared → acknowledged."""
    detected = _reached(f.detected_at, now)
    first_known = min(detected, f.declared_at) if detected else f.declared_at
    return _span(first_known, _reached(f.acknowledged_at, now))


def time_to_mitigate(f: IncidentFacts, now: datetime) -> float | None:
    """Started → mitigated; a resolution without a recorded mitigation mitigated too."""
    return _span(f.started_at, _reached(f.mitigated_at, now) or _reached(f.resolved_at, now))


def time_to_resolve(f: IncidentFacts, now: datetime) -> float | None:
    """Started → resolved."""
    return _span(f.started_at, _reached(f.resolved_at, now))


SPANS: dict[str, Callable[[IncidentFacts, datetime], float | None]] = {
    "mttd": time_to_detect,
    "mtta": time_to_acknowledge,
    "mttm": time_to_mitigate,
    "mttr": time_to_resolve,
}


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values: a value that really occurred."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _summary(known: list[float], missing: int) -> Summary:
    if not known:
        return Summary(0, missing, None, None, None)
    return Summary(
        count=len(known),
        missing=missing,
        mean=statistics.fmean(known),
        median=float(statistics.median(known)),
        p90=percentile(known, 0.9),
    )


def time_summary(facts: Sequence[IncidentFacts], metric: str, now: datetime) -> Summary:
    spans = [SPANS[metric](f, now) for f in facts]
    known = sorted(s for s in spans if s is not None)
    return _summary(known, len(spans) - len(known))


def time_summaries(facts: Sequence[IncidentFacts], now: datetime) -> dict[str, Summary]:
    return {metric: time_summary(facts, metric, now) for metric in TIME_METRICS}


# --- SLA compliance ------------------------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    met: int = 0
    missed: int = 0  # stopped after the deadline, or still running past it
    pending: int = 0  # still running, deadline ahead: not decided yet
    no_target: int = 0  # best effort

    @property
    def rate(self) -> float | None:
        decided = self.met + self.missed
        return self.met / decided if decided else None


_OUTCOME = {
    "met": "met",
    "missed": "missed",
    "breached": "missed",
    "running": "pending",
    "warning": "pending",
    "none": "no_target",
}


def compliance(statuses: Iterable[str]) -> Compliance:
    counted = Counter(_OUTCOME.get(s, "no_target") for s in statuses)
    return Compliance(counted["met"], counted["missed"], counted["pending"], counted["no_target"])


@dataclass(frozen=True)
class SeverityCompliance:
    severity: str
    incidents: int
    response: Compliance
    resolution: Compliance


def sla_compliance(
    facts: Sequence[IncidentFacts], severities: Sequence[str]
) -> list[SeverityCompliance]:
    """Per severity in the plan's order, including those with no incidents."""
    rows = []
    for key in severities:
        mine = [f for f in facts if f.severity == key]
        rows.append(
            SeverityCompliance(
                key,
                len(mine),
                compliance(f.response for f in mine),
                compliance(f.resolution for f in mine),
            )
        )
    return rows


def overall_compliance(rows: Sequence[SeverityCompliance]) -> Compliance:
    """Both clocks of every incident together."""
    total = Compliance()
    for row in rows:
        for part in (row.response, row.resolution):
            total = Compliance(
                total.met + part.met,
                total.missed + part.missed,
                total.pending + part.pending,
                total.no_target + part.no_target,
            )
    return total


# --- counts ---------------------------------------------------------------------------


def counts_by_severity(facts: Sequence[IncidentFacts]) -> dict[str, int]:
    return dict(Counter(f.severity for f in facts))


def counts_by_type(facts: Sequence[IncidentFacts]) -> dict[str, int]:
    return dict(Counter(f.type_key for f in facts).most_common())


def counts_by_service(facts: Sequence[IncidentFacts]) -> dict[str, int]:
    """An incident that hit two services counts once for each."""
    return dict(Counter(s for f in facts for s in f.services).most_common())


@dataclass(frozen=True)
class BucketFacts:
    label: str
    start: datetime
    end: datetime
    total: int
    by_severity: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_service: dict[str, int] = field(default_factory=dict)
    mtta_median: float | None = None
    mttr_median: float | None = None


def over_time(
    facts: Sequence[IncidentFacts], buckets: Sequence[Bucket], now: datetime
) -> list[BucketFacts]:
    """Incidents by the bucket they were declared in, with each bucket's medians."""
    rows = []
    for bucket in buckets:
        mine = [f for f in facts if bucket.start <= f.declared_at < bucket.end]
        rows.append(
            BucketFacts(
                bucket.label,
                bucket.start,
                bucket.end,
                len(mine),
                counts_by_severity(mine),
                counts_by_type(mine),
                counts_by_service(mine),
                time_summary(mine, "mtta", now).median,
                time_summary(mine, "mttr", now).median,
            )
        )
    return rows


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / timedelta(hours=1).total_seconds()
