"""Use cases for a security incident's decisions: classifying it and
deciding on the suggestion, approvals of response actions, confidential
notes. Each runs in the caller's transaction and leaves its record on the
timeline, and so in the audit chain."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident
from fireline.incidents.queries import resolve_severity
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.security import approvals, classification
from fireline.security.access import held_roles
from fireline.security.models import (
    ApprovalDecision,
    ApprovalRequest,
    ClassificationRecord,
    ConfidentialNote,
)

MAX_TEXT = 20_000


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput("this cannot be empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"at most {limit:,} characters", field=field)
    return text


def _require_security_type(plan: Plan, incident: Incident) -> None:
    if plan.incident_type(incident.type_key).category != "security":
        raise InvalidInput(
            f"{incident.ref} is not a security incident; change its type first", field="type"
        )


# --- classification -----------------------------------------------------------


def current_classification(session: Session, incident: Incident) -> ClassificationRecord | None:
    return session.scalar(
        select(ClassificationRecord).where(ClassificationRecord.incident_id == incident.id)
    )


def as_values(c: classification.SecurityClassification) -> dict[str, Any]:
    """The JSON shape ``classification.parse`` reads, sorted for stable records."""
    return {
        "functional": c.functional,
        "information": sorted(c.information),
        "recoverability": c.recoverability,
        "data": sorted(c.data),
        "records": c.records,
        "people": c.people,
        "jurisdictions": sorted(c.jurisdictions),
    }


def classify(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    raw: Mapping[str, Any],
) -> ClassificationRecord:
    """Record the classification and what it suggests. A changed suggestion
    needs a person's decision again; an unchanged one keeps the decision."""
    _require_security_type(plan, incident)
    parsed = classification.parse(raw)
    suggestion = classification.suggest(parsed, [s.key for s in plan.severities])
    obligations = [
        {"key": o.key, "reasons": list(o.reasons), "conditions": dict(o.conditions)}
        for o in suggestion.obligations
    ]
    record = current_classification(session, incident)
    if record is None:
        record = ClassificationRecord(incident_id=incident.id, classified_at=now)
        session.add(record)
    changed = (
        record.suggested_severity != suggestion.severity
        or record.suggested_obligations != obligations
    )
    record.values = as_values(parsed)
    record.suggested_severity = suggestion.severity
    record.suggested_because = list(suggestion.reasons)
    record.suggested_obligations = obligations
    record.classified_by_id = principal.user_id
    record.classified_at = now
    if changed:
        record.decision = record.decided_severity = record.decided_by_id = None
        record.decided_at, record.decision_reason = None, ""
    session.flush()
    incidents.record_event(
        session,
        incident,
        kind="classified",
        principal=principal,
        now=now,
        data={
            "classification": record.values,
            "suggested_severity": suggestion.severity,
            "because": list(suggestion.reasons),
            "suggested_obligations": [o["key"] for o in obligations],
        },
    )
    return record


def decide_classification(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    accept: bool,
    reason: str,
    severity: str | None = None,
) -> ClassificationRecord:
    """Confirm the suggested severity, or override it with another; either
    way with a reason. The incident's severity follows the decision."""
    record = current_classification(session, incident)
    if record is None:
        raise Conflict(f"classify {incident.ref} first")
    why = _text(reason, "reason", limit=5000)
    if accept:
        chosen = record.suggested_severity
    elif not severity:
        raise InvalidInput("choose the severity that applies instead", field="severity")
    else:
        chosen = resolve_severity(plan, severity)
    record.decision = "confirmed" if accept else "overridden"
    record.decided_severity = chosen
    record.decision_reason = why
    record.decided_by_id = principal.user_id
    record.decided_at = now
    incidents.record_event(
        session,
        incident,
        kind="classification_decided",
        principal=principal,
        now=now,
        body=why,
        data={
            "decision": record.decision,
            "suggested_severity": record.suggested_severity,
            "severity": chosen,
        },
        pinned=True,
    )
    if chosen != incident.severity:
        incidents.change_severity(session, plan, principal, now, incident, chosen, why)
    return record


# --- approvals ----------------------------------------------------------------


def _decisions(request: ApprovalRequest) -> list[approvals.Decision]:
    return [approvals.Decision(d.role_key, d.user_id, d.decision) for d in request.decisions]


def get_approval(session: Session, incident: Incident, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None or request.incident_id != incident.id:
        raise NotFound(f"no approval request {request_id} on {incident.ref}")
    return request


def list_approvals(session: Session, incident: Incident) -> Sequence[ApprovalRequest]:
    return session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.incident_id == incident.id)
        .order_by(ApprovalRequest.id.desc())
    ).all()


def request_approval(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    phase: str,
    title: str,
    roles: Sequence[str],
    description: str = "",
) -> ApprovalRequest:
    approvals.check_request(phase, list(roles), [r.key for r in plan.roles])
    return open_approval(
        session,
        principal,
        now,
        incident,
        phase=phase,
        title=title,
        roles=roles,
        description=description,
    )


def open_approval(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    *,
    phase: str,
    title: str,
    roles: Sequence[str],
    description: str = "",
) -> ApprovalRequest:
    """A request whose phase and roles are checked already (a playbook's,
    checked with the playbook). ``principal`` is None when fireline asks."""
    request = ApprovalRequest(
        incident_id=incident.id,
        phase=phase,
        title=_text(title, "title", limit=300),
        description=_text(description, "description", required=False),
        required_roles=list(roles),
        status=approvals.PENDING,
        requested_by_id=principal.user_id if principal else None,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    missing = [
        r for r in roles if not any(a.role_key == r and a.ended_at is None for a in incident.roles)
    ]
    incidents.record_event(
        session,
        incident,
        kind="approval_requested",
        principal=principal,
        now=now,
        body=request.title,
        data={
            "approval_id": request.id,
            "phase": phase,
            "roles": list(roles),
            "description": request.description,
            # Nobody can approve for a role nobody holds: say so at once.
            "roles_unfilled": missing,
        },
        pinned=True,
    )
    return request


def decide_approval(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    request_id: int,
    *,
    role: str,
    decision: str,
    rationale: str,
) -> ApprovalRequest:
    request = get_approval(session, incident, request_id)
    approvals.check_decision(
        status=request.status,
        required=request.required_roles,
        decisions=_decisions(request),
        role=role,
        decision=decision,
        user_id=principal.user_id,
        held=held_roles(incident, principal.user_id),
        rationale=rationale,
    )
    request.decisions.append(
        ApprovalDecision(
            role_key=role,
            user_id=principal.user_id,
            decision=decision,
            rationale=_text(rationale, "rationale", limit=5000),
            decided_at=now,
        )
    )
    request.status = approvals.outcome(request.required_roles, _decisions(request))
    if request.status != approvals.PENDING:
        request.decided_at = now
    incidents.record_event(
        session,
        incident,
        kind="approval_decided",
        principal=principal,
        now=now,
        body=rationale.strip(),
        data={
            "approval_id": request.id,
            "title": request.title,
            "role": role,
            "decision": decision,
            "status": request.status,
        },
        pinned=request.status != approvals.PENDING,
    )
    return request


def carry_out(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    request_id: int,
    *,
    outcome: str,
) -> ApprovalRequest:
    """Record that the approved action was done, and how it went."""
    request = get_approval(session, incident, request_id)
    if request.status != approvals.APPROVED:
        raise Conflict(
            f"this action is {request.status.replace('_', ' ')}; "
            "it can be carried out only once approved"
        )
    request.status = approvals.CARRIED_OUT
    request.carried_out_by_id = principal.user_id
    request.carried_out_at = now
    request.outcome = _text(outcome, "outcome", limit=5000)
    incidents.record_event(
        session,
        incident,
        kind="action_carried_out",
        principal=principal,
        now=now,
        body=request.outcome,
        data={"approval_id": request.id, "title": request.title, "phase": request.phase},
        pinned=True,
    )
    return request


def withdraw(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    request_id: int,
    *,
    reason: str,
) -> ApprovalRequest:
    request = get_approval(session, incident, request_id)
    if request.status not in (approvals.PENDING, approvals.APPROVED):
        raise Conflict(f"this request is {request.status.replace('_', ' ')} already")
    allowed = {request.requested_by_id, incident.commander_id}
    if principal.user_id not in allowed and not principal.can(Role.admin):
        raise Forbidden("only whoever asked, or the commander, withdraws a request")
    request.status = approvals.WITHDRAWN
    request.decided_at = now
    incidents.record_event(
        session,
        incident,
        kind="approval_withdrawn",
        principal=principal,
        now=now,
        body=_text(reason, "reason", limit=5000),
        data={"approval_id": request.id, "title": request.title},
    )
    return request


# --- confidential notes -------------------------------------------------------


def may_read(principal: Principal, incident: Incident, note: ConfidentialNote) -> bool:
    if principal.can(Role.admin) or note.author_id == principal.user_id:
        return True
    return bool(held_roles(incident, principal.user_id) & set(note.roles))


def add_confidential_note(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    body: str,
    roles: Sequence[str],
) -> ConfidentialNote:
    """A note for the named roles only. The timeline says that a note for
    them exists; its audit record holds the body's SHA-256, so the chain
    proves what was written without showing it to the audit's readers."""
    text = _text(body, "body")
    known = [r.key for r in plan.roles]
    chosen = list(dict.fromkeys(roles))
    if not chosen:
        raise InvalidInput("name the roles who may read it", field="roles")
    for role in chosen:
        if role not in known:
            raise InvalidInput(
                f"unknown role {role!r}; the plan has {', '.join(known)}", field="roles"
            )
    digest = hashlib.sha256(text.encode()).hexdigest()
    event = incidents.record_event(
        session,
        incident,
        kind="confidential_note",
        principal=principal,
        now=now,
        data={"roles": chosen, "body_sha256": digest},
    )
    note = ConfidentialNote(
        incident_id=incident.id,
        author_id=principal.user_id,
        roles=chosen,
        body=text,
        body_sha256=digest,
        created_at=now,
        audit_seq=event.audit_seq,
    )
    session.add(note)
    session.flush()
    event.data = {**event.data, "note_id": note.id}
    return note


def confidential_notes(
    session: Session, principal: Principal, incident: Incident
) -> list[tuple[ConfidentialNote, bool]]:
    """Every note, with whether ``principal`` may read it."""
    notes = session.scalars(
        select(ConfidentialNote)
        .where(ConfidentialNote.incident_id == incident.id)
        .order_by(ConfidentialNote.id.desc())
    ).all()
    return [(note, may_read(principal, incident, note)) for note in notes]
