"""What an incident's obligations look like to a reader: each stage's
deadline, state and submission, the recorded moments, the answered
conditions, and the classification's suggestions not attached yet. One
shape for the API, the pages and the incident page's panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.incidents.models import Incident
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.schema import Plan
from fireline.security.models import ClassificationRecord
from fireline.security.obligations import catalog, tracking
from fireline.security.obligations.clocks import Obligation, State
from fireline.security.obligations.models import (
    IncidentObligation,
    ObligationMoment,
    ObligationSubmission,
)

RUNNING = (State.open, State.due_soon, State.missed)


@dataclass(frozen=True)
class StageSummary:
    key: str
    name: str
    state: State
    due_at: datetime | None
    clocks: list[str]  # "72h after became aware of …", in words
    when: str | None  # the condition it depends on
    question: str | None
    submission: ObligationSubmission | None
    left: timedelta | None  # until the deadline; negative once missed

    @property
    def running(self) -> bool:
        return self.state in RUNNING

    @property
    def left_text(self) -> str:
        return time_left(self.left) if self.left is not None and self.running else ""


@dataclass(frozen=True)
class MomentSummary:
    key: str
    name: str
    record: ObligationMoment | None


@dataclass(frozen=True)
class ConditionSummary:
    key: str
    question: str
    answer: bool | None  # None: not answered yet


@dataclass(frozen=True)
class ObligationSummary:
    row: IncidentObligation
    obligation: Obligation
    stages: list[StageSummary]
    moments: list[MomentSummary]
    conditions: list[ConditionSummary]

    @property
    def next_deadline(self) -> StageSummary | None:
        """The soonest deadline still running (a missed one first)."""
        running = [s for s in self.stages if s.running and s.due_at is not None]
        return min(running, key=lambda s: s.due_at or datetime.max) if running else None


@dataclass(frozen=True)
class SuggestionSummary:
    key: str
    name: str
    reasons: list[str]
    conditions: dict[str, bool]


def time_left(left: timedelta) -> str:
    """``2d 3h left``, ``45m left``, ``overdue by 1h 5m``."""
    text = span_text(left)
    return f"overdue by {text}" if left < timedelta(0) else f"{text} left"


def span_text(span: timedelta) -> str:
    """``2d 3h``, ``4h 10m``, ``45m``, whichever way the span points."""
    total = int(abs(span).total_seconds()) // 60
    days, hours, minutes = total // 1440, total % 1440 // 60, total % 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def summarise(
    plan: Plan, row: IncidentObligation, now: datetime, calendar: BusinessCalendar | None = None
) -> ObligationSummary:
    obligation = tracking.definition(row)
    answered = tracking.conditions(row)
    submissions = {s.stage_key: s for s in row.submissions}
    stages = [
        StageSummary(
            key=clock.stage.key,
            name=clock.stage.name,
            state=clock.state,
            due_at=clock.due_at,
            clocks=[catalog.describe_clock(obligation, st, span) for st, span in clock.stage.clocks]
            or ["without undue delay: no fixed deadline"],
            when=clock.stage.when,
            question=obligation.conditions.get(clock.stage.when) if clock.stage.when else None,
            submission=submissions.get(clock.stage.key),
            left=clock.due_at - now if clock.due_at is not None else None,
        )
        for clock in tracking.clocks_of(plan, row, now, calendar)
    ]
    recorded = {m.key: m for m in row.moments}  # the latest of each
    return ObligationSummary(
        row=row,
        obligation=obligation,
        stages=stages,
        moments=[
            MomentSummary(key, catalog.moment_name(obligation, key), recorded.get(key))
            for key in catalog.moments(obligation)
        ],
        conditions=[
            ConditionSummary(key, question, answered.get(key))
            for key, question in obligation.conditions.items()
        ],
    )


def summaries(
    session: Session, plan: Plan, incident: Incident, now: datetime
) -> list[ObligationSummary]:
    calendar = BusinessCalendar.from_plan(plan)
    return [summarise(plan, row, now, calendar) for row in tracking.attached(session, incident)]


def suggestions(
    session: Session, plan: Plan, incident: Incident, attached_keys: set[str]
) -> list[SuggestionSummary]:
    """What the incident's security classification suggests that is not
    attached yet and that the plan still offers."""
    record = session.scalar(
        select(ClassificationRecord).where(ClassificationRecord.incident_id == incident.id)
    )
    if record is None:
        return []
    offered = catalog.catalog(plan)
    found = []
    for item in record.suggested_obligations or []:
        key = _text(item, "key")
        if key in offered and key not in attached_keys:
            found.append(
                SuggestionSummary(
                    key=key,
                    name=offered[key].name,
                    reasons=[str(r) for r in item.get("reasons") or []],
                    conditions={
                        str(k): bool(v)
                        for k, v in (item.get("conditions") or {}).items()
                        if k in offered[key].conditions
                    },
                )
            )
    return found


def _text(item: Any, name: str) -> str:
    return str(item.get(name, "")) if isinstance(item, dict) else ""
