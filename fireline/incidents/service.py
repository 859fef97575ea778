"""Use cases for incidents (reading them is in queries.py). Each runs in the caller's transaction; every change
appends a timeline event whose audit record joins the hash chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.exercises.guard import may_notify
from fireline.incidents.classification import suggest_severity
from fireline.incidents.lifecycle import (
    Milestone,
    is_open,
    plan_retype,
    plan_transition,
    resolving_state,
)
from fireline.incidents.models import (
    Incident,
    Participant,
    RoleAssignment,
    TimelineEvent,
)
from fireline.incidents.queries import resolve_services, resolve_severity, resolve_type
from fireline.incidents.sla_timers import schedule_sla_checks
from fireline.oncall import paging as oncall_paging
from fireline.oncall.models import EscalationPolicy
from fireline.people.service import find_user
from fireline.plan.schema import Plan

COMMANDER = "incident_commander"
MAX_TITLE = 300


# --- the timeline -----------------------------------------------------------------


# Told of every timeline event in its transaction, so that features built on
# incidents (chat rooms) can react without incidents knowing them.
EventListener = Callable[[Session, Incident, TimelineEvent], None]
_listeners: list[EventListener] = []


def on_event(listener: EventListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


# Told of each new incident with the plan, so that features which start work
# from the plan (playbooks) can begin in the same transaction.
DeclaredListener = Callable[[Session, Plan, "Principal | None", datetime, Incident], None]
_declared_listeners: list[DeclaredListener] = []


def on_declared(listener: DeclaredListener) -> None:
    if listener not in _declared_listeners:
        _declared_listeners.append(listener)


# Told when an incident takes another type, in its transaction (playbooks for
# the new type begin).
_retyped_listeners: list[DeclaredListener] = []


def on_retyped(listener: DeclaredListener) -> None:
    if listener not in _retyped_listeners:
        _retyped_listeners.append(listener)


def record_event(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    principal: Principal | None,
    now: datetime,
    body: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    pinned: bool = False,
) -> TimelineEvent:
    """Append one timeline event, and its record in the audit chain."""
    data = data or {}
    actor = principal.actor if principal else audit.Actor.system()
    chained = audit.record(
        session,
        actor=actor,
        action=f"incident.{kind}",
        object_type="incident",
        object_id=incident.id,
        changes={"body": body, **data},
        now=now,
    )
    event = TimelineEvent(
        incident_id=incident.id,
        kind=kind,
        occurred_at=occurred_at or now,
        recorded_at=now,
        actor_id=principal.user_id if principal else None,
        body=body,
        data=data,
        pinned=pinned,
        audit_seq=chained.seq,
    )
    session.add(event)
    session.flush()
    for listener in _listeners:
        listener(session, incident, event)
    return event


def _join(
    session: Session, incident: Incident, user_id: int, now: datetime, kind: str = "participant"
) -> None:
    current = next((p for p in incident.participants if p.user_id == user_id), None)
    if current is None:
        incident.participants.append(Participant(user_id=user_id, kind=kind, added_at=now))
    elif current.kind == "follower" and kind == "participant":
        current.kind = kind


# --- declaring --------------------------------------------------------------------


@dataclass
class Declaration:
    title: str
    type: str
    severity: str | None = None
    summary: str = ""
    services: list[str] = field(default_factory=list)
    commander: str | None = None
    started_at: datetime | None = None
    restricted: bool = False
    classification: dict[str, str] = field(default_factory=dict)
    # Page an on-call commander chosen for the incident. Off when something
    # already pages them for the same trouble (an alert group's page).
    page_on_call: bool = True
    # An exercise incident (fireline.exercises): flagged, and quiet unless its run allows.
    exercise: bool = False


def declare(
    session: Session,
    plan: Plan,
    principal: Principal | None,
    now: datetime,
    declaration: Declaration,
    idempotency_key: str | None = None,
) -> tuple[Incident, bool]:
    """Declare an incident; returns it and whether it was created by this call.

    ``principal`` is None when fireline declares on its own (a routing rule):
    the incident then has the commander the declaration names, or none, and
    its response clock runs until someone takes command."""
    if idempotency_key:
        existing = session.scalar(
            select(Incident).where(Incident.idempotency_key == idempotency_key)
        )
        if existing is not None:
            return existing, False
    title = declaration.title.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"a title of 1 to {MAX_TITLE} characters is required", field="title")
    type_key = resolve_type(plan, declaration.type)
    suggestion = suggest_severity(plan, declaration.classification)
    if declaration.severity:
        severity = resolve_severity(plan, declaration.severity)
    elif suggestion is not None:
        severity = suggestion.severity
    else:
        raise InvalidInput(
            "give a severity, or answer the classification questions", field="severity"
        )
    started_at = declaration.started_at or now
    if started_at.tzinfo is None:
        raise InvalidInput(
            "give the start time with its time zone, e.g. 2026-03-02T09:00:00Z", field="started_at"
        )
    if started_at > now:
        raise InvalidInput("an incident cannot start in the future", field="started_at")
    services = resolve_services(session, declaration.services)
    commander = find_user(session, declaration.commander) if declaration.commander else None
    on_call_policy = None
    if commander is not None:
        commander_id: int | None = commander.id
    else:
        commander_id, on_call_policy = _on_call_commander(session, services, now)
        if commander_id is None or (principal and commander_id == principal.user_id):
            commander_id, on_call_policy = (principal.user_id if principal else None), None
    lifecycle = plan.lifecycle_of(type_key)
    incident = Incident(
        title=title,
        summary=declaration.summary,
        type_key=type_key,
        severity=severity,
        status=lifecycle.initial,
        is_open=True,
        restricted=declaration.restricted,
        is_exercise=declaration.exercise,
        commander_id=commander_id,
        declared_by_id=principal.user_id if principal else None,
        idempotency_key=idempotency_key,
        classification=dict(declaration.classification),
        started_at=started_at,
        declared_at=now,
        # A commander a person chose answers the response clock; one taken
        # from on-call answers it when they acknowledge their page.
        acknowledged_at=now if commander_id is not None and on_call_policy is None else None,
        updated_at=now,
        services=services,
    )
    session.add(incident)
    session.flush()
    if commander_id is not None:
        incident.roles.append(
            RoleAssignment(role_key=COMMANDER, user_id=commander_id, assigned_at=now)
        )
        _join(session, incident, commander_id, now)
    if principal is not None:
        _join(session, incident, principal.user_id, now)
    data: dict[str, Any] = {
        "title": title,
        "type": type_key,
        "severity": severity,
        "status": incident.status,
        "services": [s.slug for s in services],
        "commander_id": commander_id,
        "restricted": incident.restricted,
        "started_at": started_at.isoformat(),
    }
    if suggestion is not None:
        data["suggested_severity"] = suggestion.severity
        data["suggested_because"] = list(suggestion.because)
    record_event(
        session, incident, kind="declared", principal=principal, now=now, data=data, pinned=True
    )
    schedule_sla_checks(session, plan, incident, now)
    if on_call_policy is not None and declaration.page_on_call and may_notify(incident):
        from fireline.incidents import paging  # it writes through record_event, above

        paging.start(session, incident, now=now, policy=on_call_policy)
    for listener in _declared_listeners:
        listener(session, plan, principal, now, incident)
    return incident, True


def _on_call_commander(
    session: Session, services: list[Service], now: datetime
) -> tuple[int | None, EscalationPolicy | None]:
    """The on-call person of the first affected service whose escalation
    policy reaches someone now, and that policy."""
    for service in services:
        if service.escalation_policy_id is None:
            continue
        policy = session.get(EscalationPolicy, service.escalation_policy_id)
        if policy is None:
            continue
        user_id = oncall_paging.first_responder(session, policy, now)
        if user_id is not None:
            return user_id, policy
    return None, None


# --- changes ----------------------------------------------------------------------


MILESTONE_COLUMNS = {
    Milestone.mitigated: "mitigated_at",
    Milestone.resolved: "resolved_at",
    Milestone.closed: "closed_at",
}


def change_status(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    target: str,
    *,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> Incident:
    """Move the incident along its lifecycle. A time in the past records a change
    made after the fact: both times are kept, with who recorded it and why."""
    if occurred_at is not None and occurred_at > now:
        raise InvalidInput("a change cannot happen in the future", field="occurred_at")
    if occurred_at is not None and occurred_at < incident.started_at:
        raise InvalidInput(
            "a change cannot happen before the incident started", field="occurred_at"
        )
    lifecycle = plan.lifecycle_of(incident.type_key)
    reached = frozenset(m for m, column in MILESTONE_COLUMNS.items() if getattr(incident, column))
    move = plan_transition(lifecycle, incident.status, target, reached)
    at = occurred_at or now
    for milestone in move.milestones:
        setattr(incident, MILESTONE_COLUMNS[milestone], at)
    incident.status = move.target
    incident.is_open = is_open(lifecycle, move.target)
    incident.updated_at = now
    record_event(
        session,
        incident,
        kind="status_changed",
        principal=principal,
        now=now,
        body=reason,
        occurred_at=at,
        data={
            "from": move.source,
            "to": move.target,
            "milestones": [m.value for m in move.milestones],
        },
        pinned=bool(move.milestones),
    )
    return incident


def resolve(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    reason: str = "",
) -> Incident:
    target = resolving_state(plan.lifecycle_of(incident.type_key), incident.status)
    return change_status(session, plan, principal, now, incident, target, reason=reason)


# Milestones a person may set or correct by hand; the lifecycle sets the others as it moves.
SETTABLE_MILESTONES = ("started", "detected", "acknowledged", "mitigated", "resolved")


def set_milestone(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    milestone: str,
    at: datetime,
    reason: str,
) -> Incident:
    """Record when something happened, after the fact: the event keeps both the
    time it happened and the time it was recorded, with who and why."""
    if milestone not in SETTABLE_MILESTONES:
        raise InvalidInput(
            f"unknown milestone {milestone!r}; expected one of {', '.join(SETTABLE_MILESTONES)}",
            field="milestone",
        )
    if at.tzinfo is None:
        raise InvalidInput(
            "give the time with its time zone, e.g. 2026-03-02T09:00:00Z", field="at"
        )
    if at > now:
        raise InvalidInput("a milestone cannot be in the future", field="at")
    if milestone != "started" and at < incident.started_at:
        raise InvalidInput("a milestone cannot come before the incident started", field="at")
    if not reason.strip():
        raise InvalidInput("say how this time is known", field="reason")
    column = f"{milestone}_at"
    previous = getattr(incident, column)
    setattr(incident, column, at)
    incident.updated_at = now
    record_event(
        session,
        incident,
        kind="milestone_set",
        principal=principal,
        now=now,
        body=reason.strip(),
        occurred_at=at,
        data={"milestone": milestone, "previous": previous.isoformat() if previous else None},
    )
    return incident


def change_severity(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    severity: str,
    reason: str,
) -> Incident:
    new = resolve_severity(plan, severity)
    if not reason.strip():
        raise InvalidInput("say why the severity changes", field="reason")
    if new == incident.severity:
        raise InvalidInput(f"{incident.ref} is already {new}", field="severity")
    old, incident.severity, incident.updated_at = incident.severity, new, now
    record_event(
        session,
        incident,
        kind="severity_changed",
        principal=principal,
        now=now,
        body=reason.strip(),
        data={"from": old, "to": new},
        pinned=True,
    )
    schedule_sla_checks(session, plan, incident, now)
    return incident


def change_type(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    type_: str,
    reason: str,
    *,
    status: str | None = None,
) -> Incident:
    """Reclassify an open incident: an outage found to be an attack, a phishing
    report that was a false alarm. The new type's lifecycle applies from now
    on (``status`` says where the incident stands in it when its current state
    is not there), and its playbooks begin."""
    new = resolve_type(plan, type_)
    if not reason.strip():
        raise InvalidInput("say why the type changes", field="reason")
    if new == incident.type_key:
        raise InvalidInput(f"{incident.ref} is already {new}", field="type")
    if not incident.is_open:
        raise Conflict(f"{incident.ref} is closed; reopen it to change its type")
    reached = frozenset(m for m, column in MILESTONE_COLUMNS.items() if getattr(incident, column))
    move = plan_retype(plan.lifecycle_of(new), incident.status, status or None, reached)
    for milestone in move.milestones:
        setattr(incident, MILESTONE_COLUMNS[milestone], now)
    old = incident.type_key
    incident.type_key, incident.status, incident.updated_at = new, move.target, now
    data: dict[str, Any] = {"from": old, "to": new}
    if move.target != move.source:
        data["status"] = {"from": move.source, "to": move.target}
    record_event(
        session,
        incident,
        kind="type_changed",
        principal=principal,
        now=now,
        body=reason.strip(),
        data=data,
        pinned=True,
    )
    for listener in _retyped_listeners:
        listener(session, plan, principal, now, incident)
    return incident


def assign_role(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    role_key: str,
    user_ref: str,
) -> RoleAssignment:
    try:
        role = plan.role(role_key)
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0]), field="role") from None
    user = find_user(session, user_ref)
    active = [r for r in incident.roles if r.role_key == role.key and r.ended_at is None]
    if any(r.user_id == user.id for r in active):
        raise InvalidInput(f"{user.name} already holds {role.name}", field="user")
    handed_over_from: list[int] = []
    if role.single:
        for current in active:
            current.ended_at = now
            handed_over_from.append(current.user_id)
    assignment = RoleAssignment(role_key=role.key, user_id=user.id, assigned_at=now)
    incident.roles.append(assignment)
    if role.key == COMMANDER:
        incident.commander_id = user.id
    _join(session, incident, user.id, now)
    incident.updated_at = now
    record_event(
        session,
        incident,
        kind="role_assigned",
        principal=principal,
        now=now,
        data={
            "role": role.key,
            "user_id": user.id,
            "user": user.name,
            "handed_over_from": handed_over_from,
        },
    )
    return assignment


def unassign_role(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    role_key: str,
    user_ref: str,
) -> None:
    user = find_user(session, user_ref)
    active = [
        r
        for r in incident.roles
        if r.role_key == role_key and r.user_id == user.id and r.ended_at is None
    ]
    if not active:
        raise NotFound(f"{user.name} does not hold {role_key} on {incident.ref}")
    if role_key == COMMANDER:
        raise InvalidInput(
            "hand the commander role to someone else instead; an incident always has one",
            field="role",
        )
    for assignment in active:
        assignment.ended_at = now
    incident.updated_at = now
    record_event(
        session,
        incident,
        kind="role_unassigned",
        principal=principal,
        now=now,
        data={"role": role_key, "user_id": user.id, "user": user.name},
    )


def add_note(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    body: str,
    *,
    occurred_at: datetime | None = None,
    pinned: bool = False,
) -> TimelineEvent:
    text = body.strip()
    if not text:
        raise InvalidInput("a note needs some text", field="body")
    if len(text) > 20_000:
        raise InvalidInput("a note can hold at most 20,000 characters", field="body")
    if occurred_at is not None and occurred_at > now:
        raise InvalidInput("a note cannot describe the future", field="occurred_at")
    _join(session, incident, principal.user_id, now)
    return record_event(
        session,
        incident,
        kind="note",
        principal=principal,
        now=now,
        body=text,
        occurred_at=occurred_at,
        pinned=pinned,
    )


def missing_roles(plan: Plan, incident: Incident) -> list[str]:
    """Roles the incident's severity requires that nobody holds."""
    held = {r.role_key for r in incident.roles if r.ended_at is None}
    return [key for key in plan.severity(incident.severity).required_roles if key not in held]


def follow(
    session: Session, principal: Principal, now: datetime, incident: Incident, *, on: bool
) -> None:
    current = next((p for p in incident.participants if p.user_id == principal.user_id), None)
    if on and current is None:
        incident.participants.append(
            Participant(user_id=principal.user_id, kind="follower", added_at=now)
        )
    elif not on and current is not None and current.kind == "follower":
        incident.participants.remove(current)
