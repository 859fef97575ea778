"""SLA timers: jobs due when a clock reaches its warning point and its deadline.

Timers are scheduled whenever the clocks may have moved (declaration, a new
severity). A timer that fires re-reads the incident and acts only if its
clock is still running to the same deadline, so a stale timer does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fireline.core.jobs import queue
from fireline.incidents.models import Incident
from fireline.incidents.sla import ClockKind, ClockState, clock_state
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.schema import Plan

SLA_CHECK = "incident.sla_check"
STOPS = {ClockKind.response: "acknowledged_at", ClockKind.resolution: "resolved_at"}


def clocks(plan: Plan, incident: Incident, now: datetime) -> list[ClockState]:
    calendar = BusinessCalendar.from_plan(plan)
    severity = plan.severity(incident.severity)
    return [
        clock_state(
            kind,
            severity,
            started_at=incident.declared_at,
            stopped_at=getattr(incident, STOPS[kind]),
            now=now,
            calendar=calendar,
            warning_fraction=plan.sla_warning_fraction,
        )
        for kind in ClockKind
    ]


def schedule_sla_checks(session: Session, plan: Plan, incident: Incident, now: datetime) -> None:
    for state in clocks(plan, incident, now):
        if state.deadline is None or state.stopped_at is not None:
            continue
        for phase, due in (("warning", state.warn_at), ("breach", state.deadline)):
            if due is None:
                continue
            queue.enqueue(
                session,
                kind=SLA_CHECK,
                payload={
                    "incident_id": incident.id,
                    "kind": state.kind.value,
                    "phase": phase,
                    "deadline": state.deadline.isoformat(),
                },
                now=now,
                due_at=max(due, now),
                idempotency_key=f"sla:{incident.id}:{state.kind.value}:{phase}:{state.deadline.isoformat()}",
            )
