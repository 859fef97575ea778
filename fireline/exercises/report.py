"""The after-action report of an exercise: how fast the team answered, next
to the plan's SLAs for the severity; how soon each inject got a first
response; which objectives were met; the timeline.

Pure: it takes plain data and ``now`` and returns the report, and renders
it as Markdown or JSON-ready data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fireline.incidents.sla import ClockKind, ClockStatus, clock_state
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.schema import Plan


@dataclass(frozen=True)
class Event:
    """A timeline event as the report sees it."""

    id: int
    at: datetime
    kind: str
    body: str
    actor: str | None  # None: fireline itself


@dataclass(frozen=True)
class InjectIn:
    key: str
    kind: str
    summary: str
    due_at: datetime
    delivered_at: datetime | None
    event_ids: frozenset[int]
    skipped: str = ""


@dataclass(frozen=True)
class ObjectiveIn:
    text: str
    met: bool | None
    note: str


@dataclass(frozen=True)
class Facts:
    title: str
    scenario: str
    kind: str
    severity: str
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    finished_at: datetime | None
    injects: list[InjectIn]
    objectives: list[ObjectiveIn]
    events: list[Event]


@dataclass(frozen=True)
class Measure:
    """One response time against its SLA (``target`` None: the plan sets none)."""

    name: str
    at: datetime | None
    after: timedelta | None
    target: timedelta | None
    status: str  # met, missed, not reached, no target


@dataclass(frozen=True)
class InjectResult:
    key: str
    kind: str
    summary: str
    delivered_at: datetime | None
    first_response_at: datetime | None
    first_response_by: str | None
    response_after: timedelta | None
    skipped: str


@dataclass(frozen=True)
class Report:
    title: str
    scenario: str
    kind: str
    severity: str
    declared_at: datetime
    measures: list[Measure]
    injects: list[InjectResult]
    objectives: list[ObjectiveIn]
    objectives_met: int
    objectives_judged: int
    timeline: list[Event]


def build(plan: Plan, facts: Facts, now: datetime) -> Report:
    made_by_injects = frozenset().union(*(i.event_ids for i in facts.injects))
    # The team's answers: events a person recorded, not those an inject made.
    responses = sorted(
        (
            e
            for e in facts.events
            if e.actor is not None
            and e.id not in made_by_injects
            and not e.kind.startswith("exercise_")
        ),
        key=lambda e: (e.at, e.id),
    )
    return Report(
        title=facts.title,
        scenario=facts.scenario,
        kind=facts.kind,
        severity=facts.severity,
        declared_at=facts.declared_at,
        measures=_measures(plan, facts, responses, now),
        injects=[_inject(i, responses) for i in facts.injects],
        objectives=facts.objectives,
        objectives_met=sum(1 for o in facts.objectives if o.met is True),
        objectives_judged=sum(1 for o in facts.objectives if o.met is not None),
        timeline=sorted(facts.events, key=lambda e: (e.at, e.id)),
    )


def _measures(plan: Plan, facts: Facts, responses: list[Event], now: datetime) -> list[Measure]:
    """Acknowledged (the incident's own mark, else the first person to act),
    mitigated and resolved, from the declaration."""
    try:
        severity = plan.severity(facts.severity)
    except KeyError:  # the plan dropped the severity since: nothing to compare with
        severity = None
    calendar = BusinessCalendar.from_plan(plan)
    end = facts.finished_at or now
    acknowledged = facts.acknowledged_at or (responses[0].at if responses else None)

    def clock(kind: ClockKind, stopped: datetime | None) -> tuple[timedelta | None, str]:
        if severity is None:
            return None, "no target"
        state = clock_state(
            kind,
            severity,
            started_at=facts.declared_at,
            stopped_at=stopped,
            now=end,
            calendar=calendar,
            warning_fraction=plan.sla_warning_fraction,
        )
        target = state.deadline - facts.declared_at if state.deadline else None
        if state.status is ClockStatus.none:
            return None, "no target"
        if stopped is None:
            return target, "missed" if state.status is ClockStatus.breached else "not reached"
        return target, "met" if state.status is ClockStatus.met else "missed"

    def measure(name: str, at: datetime | None, kind: ClockKind | None) -> Measure:
        after = at - facts.declared_at if at is not None else None
        if kind is None:
            return Measure(name, at, after, None, "no target" if at else "not reached")
        target, status = clock(kind, at)
        return Measure(name, at, after, target, status)

    return [
        measure("acknowledged", acknowledged, ClockKind.response),
        measure("mitigated", facts.mitigated_at, None),
        measure("resolved", facts.resolved_at, ClockKind.resolution),
    ]


def _inject(inject: InjectIn, responses: list[Event]) -> InjectResult:
    first = None
    if inject.delivered_at is not None:
        first = next((e for e in responses if e.at > inject.delivered_at), None)
    return InjectResult(
        key=inject.key,
        kind=inject.kind,
        summary=inject.summary,
        delivered_at=inject.delivered_at,
        first_response_at=first.at if first else None,
        first_response_by=first.actor if first else None,
        response_after=first.at - inject.delivered_at if first and inject.delivered_at else None,
        skipped=inject.skipped,
    )


# --- rendering ----------------------------------------------------------------


def span(value: timedelta | None) -> str:
    """``1h 05m``, ``12m 30s``, ``45s``; an en dash for nothing."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def to_markdown(report: Report) -> str:
    met = {True: "met", False: "not met", None: "not judged"}
    lines = [
        f"# After-action report: {report.title}",
        "",
        f"Scenario: {report.scenario} ({report.kind.replace('_', '-')}), "
        f"severity {report.severity}, started {_time(report.declared_at)}.",
        "",
        "## Response times against the plan's SLAs",
        "",
        "| milestone | at | after the start | SLA | result |",
        "|---|---|---|---|---|",
    ]
    for m in report.measures:
        lines.append(
            f"| {m.name} | {_time(m.at)} | {span(m.after)} | {span(m.target)} | {m.status} |"
        )
    lines += [
        "",
        "## Injects",
        "",
        "| inject | kind | delivered | first response | after | by |",
        "|---|---|---|---|---|---|",
    ]
    for i in report.injects:
        delivered = _time(i.delivered_at) if not i.skipped else f"skipped: {_cell(i.skipped)}"
        lines.append(
            f"| {_cell(i.summary)} | {i.kind} | {delivered} | {_time(i.first_response_at)} "
            f"| {span(i.response_after)} | {_cell(i.first_response_by or '–')} |"
        )
    lines += [
        "",
        f"## Objectives ({report.objectives_met} of {len(report.objectives)} met)",
        "",
    ]
    for o in report.objectives:
        note = f": {o.note}" if o.note else ""
        lines.append(f"- **{met[o.met]}**: {o.text}{note}")
    if not report.objectives:
        lines.append("The scenario set no objectives.")
    lines += ["", "## Timeline", "", "| time | what | who |", "|---|---|---|"]
    for e in report.timeline:
        what = _cell(e.body) if e.body else e.kind.replace("_", " ")
        lines.append(f"| {_time(e.at)} | {what} | {_cell(e.actor or 'fireline')} |")
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    def seconds(value: timedelta | None) -> float | None:
        return value.total_seconds() if value is not None else None

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "title": report.title,
        "scenario": report.scenario,
        "kind": report.kind,
        "severity": report.severity,
        "declared_at": iso(report.declared_at),
        "response_times": [
            {
                "milestone": m.name,
                "at": iso(m.at),
                "after_seconds": seconds(m.after),
                "sla_seconds": seconds(m.target),
                "result": m.status,
            }
            for m in report.measures
        ],
        "injects": [
            {
                "key": i.key,
                "kind": i.kind,
                "summary": i.summary,
                "delivered_at": iso(i.delivered_at),
                "skipped": i.skipped or None,
                "first_response_at": iso(i.first_response_at),
                "first_response_by": i.first_response_by,
                "response_after_seconds": seconds(i.response_after),
            }
            for i in report.injects
        ],
        "objectives": [{"text": o.text, "met": o.met, "note": o.note} for o in report.objectives],
        "objectives_met": report.objectives_met,
        "objectives_judged": report.objectives_judged,
        "timeline": [
            {"at": iso(e.at), "kind": e.kind, "body": e.body, "by": e.actor}
            for e in report.timeline
        ],
    }


def to_pdf(report: Report) -> bytes:
    """The Markdown report in the print layout the plan document uses (WeasyPrint)."""
    from fireline.plan.document import to_pdf as print_markdown

    footer = f"Exercise after-action report: {report.scenario}"
    return print_markdown(to_markdown(report), title=report.title, footer=footer)
