"""What happened after the incidents: post-mortems published, action items closed.

Pure: plain facts in, rates out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fireline.insights.metrics import IncidentFacts
from fireline.postmortems import closure, schedule

PUBLISHED = "published"
CLOSED_STATUSES = ("done", "wont_do")


@dataclass(frozen=True)
class PostMortemCompletion:
    required: int
    published: int
    missing: tuple[str, ...]  # refs of incidents still without a published one

    @property
    def rate(self) -> float | None:
        return self.published / self.required if self.required else None


def postmortem_completion(
    facts: Sequence[IncidentFacts], required_severities: Collection[str]
) -> PostMortemCompletion:
    """Of the incidents whose severity requires a post-mortem, those with a published one."""
    required = [f for f in facts if f.severity in required_severities]
    published = [f for f in required if f.postmortem_status == PUBLISHED]
    missing = tuple(f.ref for f in required if f.postmortem_status != PUBLISHED)
    return PostMortemCompletion(len(required), len(published), missing)


@dataclass(frozen=True)
class ItemFacts:
    incident_id: int
    status: str
    due_date: date | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Closure:
    total: int
    closed: int
    open: int
    open_overdue: int
    # The product's one closure-on-time rule (fireline.postmortems.closure):
    # of the items whose due day has come, or that were closed, those closed
    # by the end of their due day; "won't do" and undated items have no verdict.
    on_time: int
    late: int

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.total if self.total else None

    @property
    def on_time_rate(self) -> float | None:
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None


def action_item_closure(items: Sequence[ItemFacts], now: datetime, zone: str) -> Closure:
    tz = ZoneInfo(zone)
    closed = [i for i in items if i.closed_at is not None or i.status in CLOSED_STATUSES]
    overdue = [
        i
        for i in items
        if i.closed_at is None
        and i.status not in CLOSED_STATUSES
        and schedule.is_overdue(tz, i.due_date, now)
    ]
    rate = closure.closure_rate(
        (closure.ItemDates(i.due_date, i.closed_at, wont_do=i.status == "wont_do") for i in items),
        tz,
        now,
    )
    return Closure(
        total=len(items),
        closed=len(closed),
        open=len(items) - len(closed),
        open_overdue=len(overdue),
        on_time=rate.on_time,
        late=rate.late,
    )
