"""Approvals of response actions. Pure: who may decide, and where a request
stands after the decisions so far.

A containment, eradication or recovery action (isolate the file server,
rotate every key, restore from last week's backup) can need the word of
named roles before anyone carries it out. Each role decides once; one
rejection stops the action; it is approved when every named role has
approved. One person cannot speak for two of the roles, or two sign-offs
would be one person's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from fireline.core.errors import Conflict, Forbidden, InvalidInput

# The response phases (NIST SP 800-61's, with the operational ones), in order.
# Approvals are mostly for containment, eradication and recovery, but a
# playbook step in any phase can need one (legal signs off a statement).
PHASES = (
    "preparation",
    "detection",
    "analysis",
    "containment",
    "eradication",
    "recovery",
    "mitigation",
    "communication",
    "post_incident",
)
DECISIONS = ("approve", "reject")
PENDING, APPROVED, REJECTED, CARRIED_OUT, WITHDRAWN = (
    "pending",
    "approved",
    "rejected",
    "carried_out",
    "withdrawn",
)


@dataclass(frozen=True)
class Decision:
    role: str
    user_id: int
    decision: str  # approve or reject


def outcome(required: Sequence[str], decisions: Sequence[Decision]) -> str:
    """pending, approved or rejected."""
    if any(d.decision == "reject" for d in decisions):
        return REJECTED
    approved = {d.role for d in decisions if d.decision == "approve"}
    return APPROVED if set(required) <= approved else PENDING


def check_request(phase: str, required: Sequence[str], plan_roles: Collection[str]) -> None:
    if phase not in PHASES:
        raise InvalidInput(f"expected one of {', '.join(PHASES)}", field="phase")
    if not required:
        raise InvalidInput("name at least one role that must approve", field="roles")
    unknown = [r for r in required if r not in plan_roles]
    if unknown:
        raise InvalidInput(
            f"unknown role {unknown[0]!r}; the plan has {', '.join(plan_roles)}", field="roles"
        )
    if len(set(required)) != len(required):
        raise InvalidInput("each role is named once", field="roles")


def check_decision(
    *,
    status: str,
    required: Sequence[str],
    decisions: Sequence[Decision],
    role: str,
    decision: str,
    user_id: int,
    held: Mapping[str, bool] | Collection[str],
    rationale: str,
) -> None:
    """Raise unless ``user_id``, holding ``held`` roles on the incident, may
    record ``decision`` for ``role`` now."""
    if status != PENDING:
        raise Conflict(f"this request is {status.replace('_', ' ')}: no more decisions")
    if role not in required:
        raise InvalidInput(f"expected one of {', '.join(required)}", field="role")
    if decision not in DECISIONS:
        raise InvalidInput(f"expected one of {', '.join(DECISIONS)}", field="decision")
    if not rationale.strip():
        raise InvalidInput("give the reason for the decision", field="rationale")
    if role not in held:
        raise Forbidden(f"only the person holding {role} on this incident decides for it")
    if any(d.role == role for d in decisions):
        raise Conflict(f"{role} has decided already")
    if any(d.user_id == user_id for d in decisions):
        raise Forbidden("you have decided for another role of this request already")
