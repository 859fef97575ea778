"""The insights page's charts, drawn from a report with :mod:`fireline.insights.svg`."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from fireline.insights import benchmarks, metrics, svg
from fireline.insights.report import PeriodMetrics


def hours_text(value: float) -> str:
    if value == 0:
        return "0"
    if value < 1:
        return f"{value * 60:.0f} min"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def minutes_text(value: float) -> str:
    if value < 10 and value != int(value):
        return f"{value:.1f} min"
    return f"{value:.0f} min" if value < 600 else f"{value / 60:.1f} h"


def percent_text(value: float) -> str:
    return f"{value:.0f}%"


def charts(m: PeriodMetrics, severities: Sequence[str]) -> dict[str, Markup]:
    unit = m.period.unit
    labels = [b.label for b in m.over_time]
    by_severity = [
        svg.Series(key, [b.by_severity.get(key, 0) for b in m.over_time]) for key in severities
    ]
    hour = 3600.0
    references = [
        svg.Reference(b.label, b.seconds / hour, b.citation) for b in benchmarks.for_metric("mttr")
    ]
    sla_items = [
        (f"{row.severity} {clock}", part.rate * 100)
        for row in m.sla
        for clock, part in (("response", row.response), ("resolution", row.resolution))
        if part.rate is not None
    ]
    return {
        "incidents": svg.column_chart(
            f"Incidents per {unit}, by severity",
            labels,
            by_severity,
            unit="incidents",
        ),
        "mttr": svg.line_chart(
            f"Time to resolve per {unit} (median)",
            labels,
            [
                svg.Series(
                    "median time to resolve", [metrics.hours(b.mttr_median) for b in m.over_time]
                )
            ],
            unit="hours",
            fmt=hours_text,
            references=references,
        ),
        "mtta": svg.line_chart(
            f"Time to acknowledge per {unit} (median)",
            labels,
            [
                svg.Series(
                    "median time to acknowledge",
                    [None if b.mtta_median is None else b.mtta_median / 60 for b in m.over_time],
                )
            ],
            unit="minutes",
            fmt=minutes_text,
        ),
        "services": svg.bar_chart(
            "Incidents by service", list(m.by_service.items()), unit="incidents"
        ),
        "sla": svg.bar_chart(
            "SLA compliance by severity and clock", sla_items, unit="% met", fmt=percent_text
        ),
        "pages": svg.bar_chart(
            "Pages per person",
            [(p.name, p.pages) for p in m.oncall],
            unit="pages",
        ),
    }
