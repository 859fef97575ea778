"""Regulatory notification obligations and their clocks. Pure: the caller
passes the trigger time, what has been submitted, the calendar and ``now``.

An obligation has stages (an early warning, a notification, a final
report). A stage's clock starts at the obligation's trigger (became aware,
classified major, materiality determined), at the submission of an earlier
stage, or at the end of the trigger's year; when it names several starts,
the earliest deadline counts (DORA's initial notification: 4 hours after
classification and 24 hours after awareness). A stage may apply only under
a condition a person confirms (HIPAA's media notice: more than 500 residents
of a state). Deadlines are in hours, calendar days, business days (closing
time of the last one, holidays included) or calendar months.

The presets follow DESIGN.md's table; a plan adds obligations of its own in
the same shape. None is hard-wired to a jurisdiction: an incident gets an
obligation when a person confirms it.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import TypeVar

from fireline.plan.calendar import BusinessCalendar

TRIGGER = "trigger"
YEAR_END = "year_end"
_SPAN = re.compile(
    r"^\s*(\d+)\s*(h|hours?|d|days?|calendar days?|business days?|months?)\s*$", re.I
)
SEARCH_DAYS = 366
Tracked = TypeVar("Tracked")


class Unit(Enum):
    hours = "hours"
    days = "calendar days"
    business_days = "business days"
    months = "months"


@dataclass(frozen=True)
class Span:
    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Span:
        """``72h``, ``60 days``, ``4 business days``, ``1 month``."""
        found = _SPAN.match(text)
        if found is None or int(found[1]) == 0:
            raise ValueError(
                f"expected a span like 72h, 60 days, 4 business days or 1 month, not {text!r}"
            )
        word = found[2].lower()
        if word.startswith("business"):
            unit = Unit.business_days
        elif word.startswith("month"):
            unit = Unit.months
        elif word.startswith("h"):
            unit = Unit.hours
        else:
            unit = Unit.days
        return cls(int(found[1]), unit)

    def __str__(self) -> str:
        if self.unit is Unit.hours:
            return f"{self.amount}h"
        words = self.unit.value.removesuffix("s") if self.amount == 1 else self.unit.value
        return f"{self.amount} {words}"


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    # Where the clock starts, and how long it runs; several: the earliest deadline.
    clocks: tuple[tuple[str, Span], ...]
    # A condition a person confirms for this incident; None: always due.
    when: str | None = None
    # "without undue delay": owed, but with no fixed deadline.
    no_deadline: bool = False


@dataclass(frozen=True)
class Obligation:
    key: str
    name: str
    trigger: str  # what starts it, in words: "became aware of a personal-data breach"
    stages: tuple[Stage, ...]
    conditions: Mapping[str, str] = field(default_factory=dict)  # key -> question


def stage(key: str, name: str, *clocks: tuple[str, str], when: str | None = None) -> Stage:
    return Stage(key, name, tuple((start, Span.parse(span)) for start, span in clocks), when)


PRESETS: dict[str, Obligation] = {
    o.key: o
    for o in (
        Obligation(
            "gdpr",
            "GDPR Art. 33/34",
            "became aware of a personal-data breach",
            (
                stage("authority", "Supervisory authority", (TRIGGER, "72h")),
                Stage(
                    "data_subjects",
                    "Data subjects, without undue delay",
                    (),
                    when="high_risk",
                    no_deadline=True,
                ),
            ),
            {"high_risk": "Is the breach likely to result in a high risk to people?"},
        ),
        Obligation(
            "nis2",
            "NIS2 Art. 23",
            "became aware of a significant incident",
            (
                stage("early_warning", "Early warning", (TRIGGER, "24h")),
                stage("notification", "Incident notification", (TRIGGER, "72h")),
                stage("final_report", "Final report", ("notification", "1 month")),
            ),
        ),
        Obligation(
            "dora",
            "DORA Art. 19",
            "classified as major",
            (
                stage("initial", "Initial notification", (TRIGGER, "4h"), ("aware", "24h")),
                stage("intermediate", "Intermediate report", ("initial", "72h")),
                stage("final", "Final report", ("intermediate", "1 month")),
            ),
        ),
        Obligation(
            "sec_8k",
            "SEC Form 8-K Item 1.05",
            "materiality determined",
            (stage("form_8k", "Form 8-K", (TRIGGER, "4 business days")),),
        ),
        Obligation(
            "hipaa",
            "HIPAA 164.404-410",
            "discovery of the breach",
            (
                stage("individuals", "Individuals", (TRIGGER, "60 days")),
                stage("media", "Media", (TRIGGER, "60 days"), when="over_500_in_a_state"),
                stage("hhs", "HHS, with the individuals", (TRIGGER, "60 days"), when="500_or_more"),
                stage("hhs_log", "HHS, annual log", (YEAR_END, "60 days"), when="under_500"),
            ),
            {
                "over_500_in_a_state": "More than 500 residents of one state affected?",
                "500_or_more": "500 or more individuals affected?",
                "under_500": "Fewer than 500 individuals affected?",
            },
        ),
        Obligation(
            "nydfs",
            "NYDFS 500.17",
            "determination of a cybersecurity incident",
            (
                stage("notice", "Notice to the superintendent", (TRIGGER, "72h")),
                stage("ransom", "Ransom payment notice", ("ransom_paid", "24h"), when="ransom"),
                stage(
                    "justification",
                    "Ransom payment justification",
                    ("ransom_paid", "30 days"),
                    when="ransom",
                ),
            ),
            {"ransom": "Was a ransom paid?"},
        ),
        Obligation(
            "circia",
            "CIRCIA",
            "reasonable belief of a covered cyber incident",
            (
                stage("report", "Covered incident report", (TRIGGER, "72h")),
                stage("ransom", "Ransom payment report", ("ransom_paid", "24h"), when="ransom"),
            ),
            {"ransom": "Was a ransom paid?"},
        ),
    )
}


class State(Enum):
    waiting = "waiting"  # its clock has not started (an earlier stage, a ransom not paid)
    open = "open"
    due_soon = "due_soon"
    missed = "missed"
    submitted = "submitted"
    late = "submitted_late"
    not_applicable = "not_applicable"


@dataclass(frozen=True)
class Clock:
    stage: Stage
    state: State
    due_at: datetime | None = None
    submitted_at: datetime | None = None


def deadline(start: datetime, span: Span, calendar: BusinessCalendar) -> datetime:
    """When ``span`` after ``start`` ends."""
    if span.unit is Unit.hours:
        return start + timedelta(hours=span.amount)
    local = start.astimezone(calendar.zone)
    if span.unit is Unit.days:
        return (local + timedelta(days=span.amount)).astimezone(UTC)
    if span.unit is Unit.months:
        return _add_months(local, span.amount).astimezone(UTC)
    day, counted = local.date(), 0
    for _ in range(SEARCH_DAYS):
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            counted += 1
            if counted == span.amount:
                closes = calendar.hours[day.weekday()][1]
                return datetime.combine(day, closes, tzinfo=calendar.zone).astimezone(UTC)
    raise ValueError("the plan's calendar has no business days within a year")


def _add_months(moment: datetime, months: int) -> datetime:
    """Same day of the month, or the month's last day when it has no such day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, month_calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def clocks(
    obligation: Obligation,
    *,
    started: Mapping[str, datetime],
    submitted: Mapping[str, datetime],
    conditions: Mapping[str, bool],
    calendar: BusinessCalendar,
    now: datetime,
    due_soon: timedelta = timedelta(hours=24),
) -> list[Clock]:
    """Each stage's state and deadline.

    ``started`` holds the obligation's trigger time under ``"trigger"`` and
    other recorded moments (``"aware"``, ``"ransom_paid"``); ``submitted``
    holds each stage's submission time by stage key; ``conditions`` what a
    person confirmed. A stage whose condition is not confirmed true is not
    applicable; one whose start has not happened yet is waiting.
    """
    result = []
    for item in obligation.stages:
        if item.when is not None and not conditions.get(item.when, False):
            result.append(Clock(item, State.not_applicable))
            continue
        done = submitted.get(item.key)
        due = _due(item, started, submitted, calendar)
        if done is not None:
            late = due is not None and done > due
            result.append(Clock(item, State.late if late else State.submitted, due, done))
        elif item.no_deadline:
            result.append(Clock(item, State.open))
        elif due is None:
            result.append(Clock(item, State.waiting))
        elif now > due:
            result.append(Clock(item, State.missed, due))
        else:
            state = State.due_soon if due - now <= due_soon else State.open
            result.append(Clock(item, state, due))
    return result


def _due(
    item: Stage,
    started: Mapping[str, datetime],
    submitted: Mapping[str, datetime],
    calendar: BusinessCalendar,
) -> datetime | None:
    candidates = []
    for start_key, span in item.clocks:
        start = _start(start_key, started, submitted, calendar)
        if start is not None:
            candidates.append(deadline(start, span, calendar))
    return min(candidates) if candidates else None


def _start(
    key: str,
    started: Mapping[str, datetime],
    submitted: Mapping[str, datetime],
    calendar: BusinessCalendar,
) -> datetime | None:
    if key == YEAR_END:
        trigger = started.get(TRIGGER)
        if trigger is None:
            return None
        year = trigger.astimezone(calendar.zone).year
        return datetime.combine(
            datetime(year, 12, 31).date(), time(23, 59, 59), tzinfo=calendar.zone
        )
    return started.get(key) or submitted.get(key)


def open_deadlines(
    tracked: Sequence[tuple[Tracked, list[Clock]]],
) -> list[tuple[Tracked, Clock]]:
    """Every clock still running across incidents, soonest first: what the
    deadlines page lists. ``tracked`` is (what the clocks belong to, e.g. an
    incident's ref, its clocks)."""
    running = [
        (ref, clock)
        for ref, found in tracked
        for clock in found
        if clock.due_at is not None and clock.state in (State.open, State.due_soon, State.missed)
    ]
    return sorted(running, key=lambda pair: pair[1].due_at or datetime.max.replace(tzinfo=UTC))
