"""This period against the previous one: which way each number moved, and
whether that is good news.

Pure: two numbers in, a delta out.
"""

from __future__ import annotations

from dataclasses import dataclass

# Rates people want up; every other metric (times, counts, pages) they want down.
HIGHER_IS_BETTER = frozenset(
    {"sla_compliance", "postmortem_completion", "action_item_closure", "action_items_on_time"}
)
# Counts that are not good or bad in themselves (more incidents declared may
# mean better detection), shown without a verdict.
NEUTRAL = frozenset({"incidents"})


@dataclass(frozen=True)
class Delta:
    current: float | None
    previous: float | None
    change: float | None  # current - previous
    relative: float | None  # change / previous, when previous is not zero
    direction: str  # up, down, same, or none when either side is missing
    better: bool | None  # None: no verdict (missing side, no change, or neutral)


def delta(metric: str, current: float | None, previous: float | None) -> Delta:
    if current is None or previous is None:
        return Delta(current, previous, None, None, "none", None)
    change = current - previous
    relative = change / previous if previous else None
    if abs(change) < 1e-9:
        return Delta(current, previous, 0.0, 0.0 if previous else None, "same", None)
    direction = "up" if change > 0 else "down"
    better = None if metric in NEUTRAL else (change > 0) == (metric in HIGHER_IS_BETTER)
    return Delta(current, previous, change, relative, direction, better)
