"""The report as JSON (the API, the CLI) and as CSV rows (the export).

Times are in seconds, rates between 0 and 1, instants in ISO 8601 UTC.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from fireline.insights import benchmarks
from fireline.insights.comparison import Delta
from fireline.insights.metrics import TIME_METRIC_NAMES, Compliance, Summary
from fireline.insights.period import Period
from fireline.insights.report import Insights, PeriodMetrics


def _period(period: Period) -> dict[str, Any]:
    return {
        "since": period.first_day.isoformat(),
        "until": period.last_day.isoformat(),
        "days": period.days,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "time_zone": period.zone,
        "unit": period.unit,
    }


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "missing": summary.missing,
        "mean_seconds": _round(summary.mean),
        "median_seconds": _round(summary.median),
        "p90_seconds": _round(summary.p90),
    }


def _compliance(part: Compliance) -> dict[str, Any]:
    return {
        "met": part.met,
        "missed": part.missed,
        "pending": part.pending,
        "no_target": part.no_target,
        "rate": _round(part.rate, 4),
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def period_json(m: PeriodMetrics) -> dict[str, Any]:
    return {
        "period": _period(m.period),
        "incidents": {
            "total": len(m.incidents),
            "by_severity": m.by_severity,
            "by_type": m.by_type,
            "by_service": m.by_service,
            "over_time": [
                {
                    "label": b.label,
                    "start": b.start.isoformat(),
                    "end": b.end.isoformat(),
                    "total": b.total,
                    "by_severity": b.by_severity,
                    "by_type": b.by_type,
                    "by_service": b.by_service,
                    "mtta_median_seconds": _round(b.mtta_median),
                    "mttr_median_seconds": _round(b.mttr_median),
                }
                for b in m.over_time
            ],
        },
        "times": {name: _summary(summary) for name, summary in m.times.items()},
        "sla": {
            "overall": _compliance(m.sla_overall),
            "by_severity": [
                {
                    "severity": row.severity,
                    "incidents": row.incidents,
                    "response": _compliance(row.response),
                    "resolution": _compliance(row.resolution),
                }
                for row in m.sla
            ],
        },
        "repeats": {
            "count": len(m.repeats),
            "incidents": [
                {
                    "ref": r.incident.ref,
                    "title": r.incident.title,
                    "repeats": r.earlier.ref,
                    "repeats_title": r.earlier.title,
                    "service": r.service,
                    "matched_on": r.matched_on,
                    "score": round(r.score, 1),
                    "days_apart": round(
                        (r.incident.declared_at - r.earlier.declared_at).total_seconds() / 86400, 1
                    ),
                }
                for r in m.repeats
            ],
        },
        "postmortems": {
            "required": m.postmortems.required,
            "published": m.postmortems.published,
            "completion": _round(m.postmortems.rate, 4),
            "missing": list(m.postmortems.missing),
        },
        "action_items": {
            **asdict(m.action_items),
            "closure_rate": _round(m.action_items.closure_rate, 4),
            "on_time_rate": _round(m.action_items.on_time_rate, 4),
        },
        "oncall": {
            "pages": m.pages,
            "off_hours_notifications": m.off_hours,
            "people": [asdict(person) for person in m.oncall],
        },
    }


def _delta(d: Delta) -> dict[str, Any]:
    return {
        "current": _round(d.current, 4),
        "previous": _round(d.previous, 4),
        "change": _round(d.change, 4),
        "relative": _round(d.relative, 4),
        "direction": d.direction,
        "better": d.better,
    }


def to_json(insights: Insights) -> dict[str, Any]:
    return {
        "generated_at": insights.generated_at.isoformat(),
        "filters": insights.scope.describe(),
        "definitions": TIME_METRIC_NAMES,
        **period_json(insights.current),
        "previous": period_json(insights.previous),
        "deltas": {name: _delta(d) for name, d in insights.deltas.items()},
        "benchmarks": [
            {
                "metric": b.metric,
                "label": b.label,
                "seconds": b.seconds,
                "source": b.source,
                "year": b.year,
                "url": b.url,
            }
            for b in benchmarks.BENCHMARKS
        ],
    }


CSV_COLUMNS = ("section", "metric", "key", "current", "previous")


def csv_rows(insights: Insights) -> list[tuple[Any, ...]]:
    """One row per number: the section, the metric, what it is broken down
    by (severity, service, person…), this period's value and the previous one's."""
    now, before = period_json(insights.current), period_json(insights.previous)
    rows: list[tuple[Any, ...]] = [
        ("period", "since", "", now["period"]["since"], before["period"]["since"]),
        ("period", "until", "", now["period"]["until"], before["period"]["until"]),
    ]
    rows += [("headline", name, "", d.current, d.previous) for name, d in insights.deltas.items()]
    for name in now["times"]:
        for stat in ("count", "missing", "mean_seconds", "median_seconds", "p90_seconds"):
            rows.append(
                ("times", name, stat, now["times"][name][stat], before["times"][name][stat])
            )
    for row, old in zip(now["sla"]["by_severity"], before["sla"]["by_severity"], strict=True):
        for clock in ("response", "resolution"):
            for stat in ("met", "missed", "pending", "rate"):
                rows.append(
                    (f"sla_{clock}", stat, row["severity"], row[clock][stat], old[clock][stat])
                )
    for section in ("by_severity", "by_type", "by_service"):
        keys = sorted(set(now["incidents"][section]) | set(before["incidents"][section]))
        for key in keys:
            rows.append(
                (
                    f"incidents_{section}",
                    "incidents",
                    key,
                    now["incidents"][section].get(key, 0),
                    before["incidents"][section].get(key, 0),
                )
            )
    for bucket in now["incidents"]["over_time"]:
        rows.append(("incidents_over_time", "incidents", bucket["label"], bucket["total"], ""))
        rows.append(
            (
                "incidents_over_time",
                "mttr_median_seconds",
                bucket["label"],
                bucket["mttr_median_seconds"],
                "",
            )
        )
    for repeat in now["repeats"]["incidents"]:
        rows.append(("repeats", repeat["matched_on"], repeat["ref"], repeat["repeats"], ""))
    for stat in ("total", "closed", "on_time", "late", "open", "open_overdue"):
        rows.append(
            ("action_items", stat, "", now["action_items"][stat], before["action_items"][stat])
        )
    for person in now["oncall"]["people"]:
        for stat in ("pages", "notifications", "off_hours", "sleep_hours"):
            rows.append(("oncall", stat, person["email"], person[stat], ""))
    return rows


def to_csv(insights: Insights) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(insights):
        writer.writerow("" if cell is None else _safe(cell) for cell in row)
    return out.getvalue()


def _safe(cell: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
