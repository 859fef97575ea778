"""Numbers as the page shows them: spans in words, rates in percent, and
each headline's move since the previous period."""

from __future__ import annotations

from dataclasses import dataclass

from fireline.insights.comparison import Delta
from fireline.insights.metrics import TIME_METRICS
from fireline.insights.report import Insights

RATES = ("sla_compliance", "postmortem_completion", "action_item_closure", "action_items_on_time")
LABELS = {
    "incidents": "Incidents",
    "mttd": "Time to detect (median)",
    "mtta": "Time to acknowledge (median)",
    "mttm": "Time to mitigate (median)",
    "mttr": "Time to resolve (median)",
    "sla_compliance": "SLA clocks met",
    "repeats": "Repeat incidents",
    "postmortem_completion": "Post-mortems published",
    "action_item_closure": "Action items closed",
    "action_items_on_time": "Closed on time",
    "pages": "Pages",
    "off_hours_notifications": "Page notifications out of hours",
}


def span(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, hours = total // 60, total // 3600
    if hours == 0:
        return f"{minutes} min"
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def value_text(metric: str, value: float | None) -> str:
    if metric in TIME_METRICS:
        return span(value)
    if metric in RATES:
        return rate(value)
    return "–" if value is None else f"{value:g}"


def change_text(metric: str, d: Delta) -> str:
    if d.change is None:
        return "no comparison"
    if d.direction == "same":
        return "no change"
    arrow = "▲" if d.direction == "up" else "▼"
    if metric in TIME_METRICS:
        amount = span(abs(d.change))
    elif metric in RATES:
        amount = f"{abs(d.change) * 100:.0f} points"
    else:
        amount = f"{abs(d.change):g}"
    return f"{arrow} {amount}"


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    current: str
    previous: str
    change: str
    verdict: str  # better, worse, or neutral


def headlines(insights: Insights) -> list[Headline]:
    rows = []
    for key, d in insights.deltas.items():
        verdict = "neutral" if d.better is None else ("better" if d.better else "worse")
        rows.append(
            Headline(
                key,
                LABELS.get(key, key),
                value_text(key, d.current),
                value_text(key, d.previous),
                change_text(key, d),
                verdict,
            )
        )
    return rows
