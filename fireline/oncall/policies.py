"""Use cases for escalation policies, and which policy a service pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.oncall.escalation import MAX_REPEAT, Policy, parse_steps
from fireline.oncall.models import EscalationPolicy, Schedule
from fireline.oncall.naming import check_not_reserved
from fireline.people.models import Team, User
from fireline.people.service import check_slug, find_team

# A page nobody acknowledged within a day is not waiting for a timeout.
MAX_ACK_TIMEOUT = 24 * 60


def find_policy(session: Session, ref: str) -> EscalationPolicy:
    row_id = as_row_id(ref)
    found = (
        session.get(EscalationPolicy, row_id)
        if row_id is not None
        else session.scalar(select(EscalationPolicy).where(EscalationPolicy.slug == ref))
    )
    if found is None:
        raise NotFound(f"no escalation policy {ref}", field="policy")
    return found


def policy_of(row: EscalationPolicy) -> Policy:
    return Policy(
        steps=parse_steps(row.steps),
        repeat=row.repeat,
        ack_timeout_minutes=row.ack_timeout_minutes,
    )


def _check_targets_exist(session: Session, steps: list[dict[str, Any]]) -> None:
    tables = {"user": User, "schedule": Schedule, "team": Team, "round_robin": User}
    for n, step in enumerate(parse_steps(steps)):
        for m, target in enumerate(step.targets):
            for target_id in target.ids:
                if session.get(tables[target.type], target_id) is None:
                    raise InvalidInput(
                        f"no {target.type.replace('round_robin', 'user')} with id {target_id}",
                        field=f"steps[{n}].targets[{m}].id",
                    )


def _check_settings(repeat: int, ack_timeout_minutes: int | None) -> None:
    if not 0 <= repeat <= MAX_REPEAT:
        raise InvalidInput(f"expected 0 to {MAX_REPEAT} repeats", field="repeat")
    if ack_timeout_minutes is not None and not 1 <= ack_timeout_minutes <= MAX_ACK_TIMEOUT:
        raise InvalidInput(
            f"expected 1 to {MAX_ACK_TIMEOUT} minutes, or none", field="ack_timeout_minutes"
        )


def create_policy(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    slug: str,
    name: str,
    steps: list[dict[str, Any]],
    repeat: int = 0,
    ack_timeout_minutes: int | None = None,
    team: str | None = None,
    description: str = "",
) -> EscalationPolicy:
    check_slug(slug)
    check_not_reserved(slug)
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    _check_settings(repeat, ack_timeout_minutes)
    normalised = Policy(parse_steps(steps)).snapshot()["steps"]
    _check_targets_exist(session, normalised)
    if session.scalar(select(EscalationPolicy.id).where(EscalationPolicy.slug == slug)):
        raise Conflict(f"an escalation policy called {slug} already exists", field="slug")
    row = EscalationPolicy(
        slug=slug,
        name=name.strip(),
        description=description,
        team_id=find_team(session, team).id if team else None,
        repeat=repeat,
        ack_timeout_minutes=ack_timeout_minutes,
        steps=normalised,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="escalation_policy.created",
        object_type="escalation_policy",
        object_id=row.id,
        changes={"slug": slug, "steps": normalised, "repeat": repeat},
        now=now,
    )
    return row


def update_policy(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    policy: EscalationPolicy,
    changes: dict[str, Any],
) -> EscalationPolicy:
    """Edits apply to pages started from now on; pages in flight keep their copy."""
    if "steps" in changes:
        changes["steps"] = Policy(parse_steps(changes["steps"])).snapshot()["steps"]
        _check_targets_exist(session, changes["steps"])
    _check_settings(
        changes.get("repeat", policy.repeat),
        changes.get("ack_timeout_minutes", policy.ack_timeout_minutes),
    )
    for name in ("name", "description", "steps", "repeat", "ack_timeout_minutes"):
        if name in changes:
            setattr(policy, name, changes[name])
    policy.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="escalation_policy.updated",
        object_type="escalation_policy",
        object_id=policy.id,
        changes=changes,
        now=now,
    )
    return policy


def set_service_policy(
    session: Session, *, actor: Actor, now: datetime, service: Service, policy: str | None
) -> None:
    row = find_policy(session, policy) if policy else None
    service.escalation_policy_id = row.id if row else None
    audit.record(
        session,
        actor=actor,
        action="service.escalation_policy_set",
        object_type="service",
        object_id=service.id,
        changes={"escalation_policy": row.slug if row else None},
        now=now,
    )
