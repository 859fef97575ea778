"""Incident lifecycles: which moves are allowed, and which milestones they set.

Pure decisions over the plan's lifecycle definitions; no database, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fireline.core.errors import Conflict
from fireline.plan.schema import Lifecycle


class Milestone(enum.StrEnum):
    started = "started"
    detected = "detected"
    declared = "declared"
    acknowledged = "acknowledged"
    mitigated = "mitigated"  # "contained" for security incidents: the bleeding stopped
    resolved = "resolved"
    closed = "closed"


# Entering one of these states reaches the milestone, whatever lifecycle it is in.
# A plan's own states reach none unless they share these names.
STATE_MILESTONES: dict[str, Milestone] = {
    "mitigated": Milestone.mitigated,
    "containment": Milestone.mitigated,
    "resolved": Milestone.resolved,
    "recovery": Milestone.resolved,
    "post_incident": Milestone.resolved,
    "closed": Milestone.closed,
}


class TransitionRefused(Conflict):
    code = "transition_refused"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    milestones: tuple[Milestone, ...]


def plan_transition(
    lifecycle: Lifecycle, current: str, target: str, reached: frozenset[Milestone]
) -> Transition:
    """Check a move from ``current`` to ``target`` and say which new milestones it reaches.

    Moving straight to ``closed`` from ``triage`` also reaches ``mitigated`` and
    ``resolved``: a closed incident has been through both, even if nobody said so.
    """
    if target not in lifecycle.states:
        known = ", ".join(lifecycle.states)
        raise TransitionRefused(
            f"unknown state {target!r}; this lifecycle has {known}", field="status"
        )
    allowed = lifecycle.allowed_from(current)
    if target not in allowed:
        options = ", ".join(allowed) if allowed else "none: it is final"
        raise TransitionRefused(
            f"cannot go from {current} to {target}; from {current} the allowed states are {options}",
            field="status",
        )
    implied = _implied_milestones(STATE_MILESTONES.get(target))
    return Transition(current, target, tuple(m for m in implied if m not in reached))


def plan_retype(
    lifecycle: Lifecycle, current: str, target: str | None, reached: frozenset[Milestone]
) -> Transition:
    """Where an open incident stands once a new type puts it on ``lifecycle``.

    It keeps its state when the new lifecycle has it; otherwise a person says
    which of the new lifecycle's open states it is in (an outage found to be
    ransomware goes from ``investigating`` to ``containment``, say). A new
    type never resolves or closes an incident: that stays a move of its own.
    """
    open_states = [state for state in lifecycle.states if is_open(lifecycle, state)]
    choices = ", ".join(open_states)
    if target is None:
        if current not in lifecycle.states:
            raise TransitionRefused(
                f"the {lifecycle.key} lifecycle has no {current} state; say which state"
                f" the incident is in now: {choices}",
                field="status",
            )
        target = current
    elif target not in open_states:
        raise TransitionRefused(
            f"expected one of the {lifecycle.key} lifecycle's open states: {choices}",
            field="status",
        )
    implied = _implied_milestones(STATE_MILESTONES.get(target)) if target != current else []
    return Transition(current, target, tuple(m for m in implied if m not in reached))


def _implied_milestones(milestone: Milestone | None) -> list[Milestone]:
    order = [Milestone.mitigated, Milestone.resolved, Milestone.closed]
    if milestone is None:
        return []
    return order[: order.index(milestone) + 1]


def is_open(lifecycle: Lifecycle, state: str) -> bool:
    """Open means no one has resolved it yet: before any resolved-type state."""
    milestone = STATE_MILESTONES.get(state)
    return milestone not in (Milestone.resolved, Milestone.closed)


def resolving_state(lifecycle: Lifecycle, current: str) -> str:
    """The state that resolves the incident from ``current`` (``resolved``, or
    ``post_incident`` on the security lifecycle)."""
    for state in lifecycle.allowed_from(current):
        if STATE_MILESTONES.get(state) is Milestone.resolved:
            return state
    allowed = ", ".join(lifecycle.allowed_from(current)) or "none: it is final"
    raise TransitionRefused(
        f"{current} cannot be resolved directly; from {current} the allowed states are {allowed}",
        field="status",
    )
