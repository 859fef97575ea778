"""The page's one-line status, as Statuspage's ``status.json`` gives it: an
indicator (none, minor, major, critical, maintenance) and its words.

The worst of the components and of the open incidents' impacts decides:
degraded performance is minor, a partial outage major, a major outage
critical. Maintenance shows only when nothing is broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_RANK = {"none": 0, "maintenance": 1, "minor": 2, "major": 3, "critical": 4}
_FROM_COMPONENT = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}


@dataclass(frozen=True)
class Overall:
    indicator: str
    description: str


def overall(component_statuses: Iterable[str], open_impacts: Iterable[str] = ()) -> Overall:
    worst = "none"
    for indicator in [*map(_FROM_COMPONENT.get, component_statuses), *open_impacts]:
        if indicator is not None and _RANK.get(indicator, 0) > _RANK[worst]:
            worst = indicator
    return Overall(worst, DESCRIPTIONS[worst])


def component_label(status: str) -> str:
    """'partial_outage' -> 'Partial outage'."""
    return status.replace("_", " ").capitalize()
