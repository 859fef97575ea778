"""SLA clocks: when a response or resolution is due, and how far along the clock is.

Pure functions of the plan, the clock's start and stop, and ``now``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from fireline.plan.calendar import BusinessCalendar
from fireline.plan.durations import Duration
from fireline.plan.schema import Severity


class ClockKind(enum.StrEnum):
    response = "response"
    resolution = "resolution"


class ClockStatus(enum.StrEnum):
    running = "running"
    warning = "warning"
    breached = "breached"
    met = "met"
    missed = "missed"  # stopped, but after its deadline
    none = "none"  # best effort: no target


@dataclass(frozen=True)
class ClockState:
    kind: ClockKind
    status: ClockStatus
    started_at: datetime
    deadline: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None

    def remaining(self, now: datetime) -> timedelta | None:
        if self.deadline is None or self.stopped_at is not None:
            return None
        return self.deadline - now


def deadline_for(
    duration: Duration, started_at: datetime, calendar: BusinessCalendar, business_hours: bool
) -> datetime | None:
    if duration.best_effort:
        return None
    if duration.next_business_day:
        return calendar.next_business_day_end(started_at)
    assert duration.minutes is not None
    span = timedelta(minutes=duration.minutes)
    return calendar.add_business_time(started_at, span) if business_hours else started_at + span


def warning_for(
    duration: Duration,
    started_at: datetime,
    deadline: datetime | None,
    calendar: BusinessCalendar,
    business_hours: bool,
    fraction: float,
) -> datetime | None:
    """When ``fraction`` of the clock has run, measured the way the clock itself runs."""
    if deadline is None:
        return None
    if duration.minutes is not None and business_hours:
        return calendar.add_business_time(
            started_at, timedelta(minutes=duration.minutes * fraction)
        )
    return started_at + (deadline - started_at) * fraction


def clock_state(
    kind: ClockKind,
    severity: Severity,
    *,
    started_at: datetime,
    stopped_at: datetime | None,
    now: datetime,
    calendar: BusinessCalendar,
    warning_fraction: float,
) -> ClockState:
    duration = severity.response if kind is ClockKind.response else severity.resolution
    deadline = deadline_for(duration, started_at, calendar, severity.business_hours)
    warn_at = warning_for(
        duration, started_at, deadline, calendar, severity.business_hours, warning_fraction
    )
    if deadline is None:
        status = ClockStatus.none
    elif stopped_at is not None:
        status = ClockStatus.met if stopped_at <= deadline else ClockStatus.missed
    elif now >= deadline:
        status = ClockStatus.breached
    elif warn_at is not None and now >= warn_at:
        status = ClockStatus.warning
    else:
        status = ClockStatus.running
    return ClockState(kind, status, started_at, deadline, warn_at, stopped_at)
