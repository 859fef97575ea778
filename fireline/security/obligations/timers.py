"""Reminder and escalation timers for obligation deadlines, as jobs.

Each timer carries the deadline it was set for. They are scheduled again
whenever a deadline may have moved (a trigger or moment recorded, a
condition answered, a stage submitted); a timer whose deadline moved, or
whose stage was submitted meanwhile, does nothing when it fires, so old
timers never need cancelling.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fireline.core.jobs import queue
from fireline.plan.schema import Plan
from fireline.security.obligations import catalog, tracking
from fireline.security.obligations.clocks import Clock, State
from fireline.security.obligations.models import IncidentObligation

REMIND = "obligation.remind"
ESCALATE = "obligation.escalate"
RUNNING = (State.open, State.due_soon, State.missed)
# A clock is missed once now is past its deadline, not at it: the escalation
# runs a second after, so that it finds the clock missed.
AFTER_DEADLINE = timedelta(seconds=1)


@dataclass(frozen=True)
class Timer:
    kind: str  # REMIND or ESCALATE
    stage: str
    deadline: datetime
    due_at: datetime
    before: timedelta | None = None  # how long before the deadline a reminder is


def timers(found: list[Clock], points: list[timedelta], now: datetime) -> Iterator[Timer]:
    """The timers a set of clocks needs from ``now`` on: a reminder at each
    point still ahead, and an escalation once the deadline has passed (at
    once when it has already)."""
    for clock in found:
        if clock.due_at is None or clock.state not in RUNNING:
            continue
        for point in points:
            at = clock.due_at - point
            if at > now:
                yield Timer(REMIND, clock.stage.key, clock.due_at, at, point)
        yield Timer(
            ESCALATE, clock.stage.key, clock.due_at, max(clock.due_at + AFTER_DEADLINE, now)
        )


def schedule(session: Session, plan: Plan, row: IncidentObligation, now: datetime) -> None:
    """Enqueue the timers the obligation's deadlines need; those already
    queued for the same deadline are kept (the idempotency key names it)."""
    if row.detached_at is not None:
        return
    session.flush()  # the moments and submissions just added count
    for timer in timers(tracking.clocks_of(plan, row, now), catalog.reminder_points(plan), now):
        before = int(timer.before.total_seconds()) if timer.before is not None else 0
        queue.enqueue(
            session,
            kind=timer.kind,
            payload={
                "obligation_id": row.id,
                "stage": timer.stage,
                "deadline": timer.deadline.isoformat(),
                "before_seconds": before,
            },
            now=now,
            due_at=timer.due_at,
            idempotency_key=(
                f"{timer.kind}:{row.id}:{timer.stage}:{before}:{timer.deadline.isoformat()}"
            ),
        )
