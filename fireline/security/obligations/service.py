"""Use cases for an incident's notification obligations. Each runs in the
caller's transaction: check everything the caller sent, write the rows,
append the timeline event (which joins the audit chain), and schedule the
reminder timers again, since every change here can move a deadline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput
from fireline.incidents.models import Incident
from fireline.incidents.service import record_event
from fireline.plan.schema import Plan
from fireline.security.obligations import catalog, documents, summary, timers, tracking
from fireline.security.obligations.clocks import State
from fireline.security.obligations.models import (
    IncidentObligation,
    ObligationMoment,
    ObligationSubmission,
)
from fireline.security.obligations.times import stated_time

MAX_REASON = 5000
MAX_AUTHORITY = 300
MAX_REFERENCE = 200
MAX_NOTE = 5000


def attach(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    key: str,
    reason: str,
    conditions: Mapping[str, bool] | None = None,
    trigger_at: datetime | None = None,
    time_zone: str | None = None,
) -> IncidentObligation:
    """Attach an obligation from the catalog. One the classification
    suggested starts from its suggested answers; either way a person gives
    the reason, and may state when the trigger happened."""
    offered = catalog.catalog(plan)
    if key not in offered:
        raise InvalidInput(
            f"unknown obligation {key[:64]!r}; known: {', '.join(offered)}", field="key"
        )
    obligation = offered[key]
    reason = _required(reason, "reason", MAX_REASON)
    if any(row.key == key for row in tracking.attached(session, incident)):
        raise Conflict(f"{obligation.name} is already attached to {incident.ref}", field="key")
    suggested = {s.key: s for s in summary.suggestions(session, plan, incident, set())}
    answers = dict(suggested[key].conditions) if key in suggested else {}
    answers.update(_answers(obligation.conditions, conditions or {}))
    trigger = None
    if trigger_at is not None:
        trigger = stated_time(trigger_at, time_zone, now=now, field="trigger_at")
    row = IncidentObligation(
        incident_id=incident.id,
        key=key,
        name=obligation.name,
        definition=catalog.to_data(obligation),
        source="suggested" if key in suggested else "manual",
        reason=reason,
        conditions=answers,
        attached_by_id=principal.user_id,
        attached_at=now,
    )
    session.add(row)
    session.flush()
    how = "as the classification suggested" if row.source == "suggested" else "by hand"
    record_event(
        session,
        incident,
        kind="obligation_attached",
        principal=principal,
        now=now,
        body=f"Obligation attached {how}: {obligation.name}. {reason}",
        data={"obligation": key, "source": row.source, "conditions": answers, "reason": reason},
    )
    if trigger is not None:
        _add_moment(session, principal, now, incident, row, "trigger", *trigger, note="")
    timers.schedule(session, plan, row, now)
    return row


def record_moment(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    row: IncidentObligation,
    *,
    moment: str,
    at: datetime,
    time_zone: str | None = None,
    note: str = "",
) -> ObligationMoment:
    """When the trigger (or another moment a clock starts from) happened.
    Recording it again corrects it; the timeline keeps both."""
    known = catalog.moments(tracking.definition(row))
    if moment not in known:
        raise InvalidInput(
            f"{row.name} has no moment {moment[:64]!r}; it has {', '.join(known)}", field="moment"
        )
    note = _optional(note, "note", MAX_NOTE)
    occurred_at, zone = stated_time(at, time_zone, now=now, field="at")
    recorded = _add_moment(session, principal, now, incident, row, moment, occurred_at, zone, note)
    timers.schedule(session, plan, row, now)
    return recorded


def _add_moment(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    row: IncidentObligation,
    key: str,
    occurred_at: datetime,
    zone: str,
    note: str,
) -> ObligationMoment:
    earlier = tracking.started(row).get(key)
    recorded = ObligationMoment(
        key=key,
        occurred_at=occurred_at,
        time_zone=zone,
        note=note,
        recorded_by_id=principal.user_id,
        recorded_at=now,
    )
    row.moments.append(recorded)
    name = catalog.moment_name(tracking.definition(row), key)
    body = f"{row.name}: {name[:1].lower() + name[1:]} (stated in {zone})"
    if earlier is not None:
        body += f"; corrects {earlier.isoformat()}"
    record_event(
        session,
        incident,
        kind="obligation_moment",
        principal=principal,
        now=now,
        occurred_at=occurred_at,
        body=body + (f". {note}" if note else ""),
        data={
            "obligation": row.key,
            "moment": key,
            "at": occurred_at.isoformat(),
            "time_zone": zone,
            "corrects": earlier.isoformat() if earlier else None,
        },
    )
    return recorded


def set_conditions(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    row: IncidentObligation,
    answers: Mapping[str, bool],
    *,
    reason: str = "",
) -> IncidentObligation:
    """Answer (or change the answer to) the obligation's questions: whether
    a stage applies depends on them."""
    obligation = tracking.definition(row)
    if not answers:
        raise InvalidInput("answer at least one condition", field="conditions")
    checked = _answers(obligation.conditions, answers)
    reason = _optional(reason, "reason", MAX_REASON)
    before = tracking.conditions(row)
    changed = {k: v for k, v in checked.items() if before.get(k) is not v}
    if not changed:
        return row
    row.conditions = {**before, **changed}
    answered = "; ".join(
        f"{obligation.conditions[k]} {'yes' if v else 'no'}" for k, v in changed.items()
    )
    record_event(
        session,
        incident,
        kind="obligation_conditions",
        principal=principal,
        now=now,
        body=f"{row.name}: {answered}" + (f". {reason}" if reason else ""),
        data={
            "obligation": row.key,
            "before": {k: before.get(k) for k in changed},
            "after": changed,
            "reason": reason,
        },
    )
    timers.schedule(session, plan, row, now)
    return row


def submit(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    row: IncidentObligation,
    *,
    stage: str,
    at: datetime,
    time_zone: str | None = None,
    authority: str,
    reference: str = "",
    note: str = "",
    document_sha256: str | None = None,
) -> ObligationSubmission:
    """Record that a stage's notice went out. Late is allowed, and shown as late."""
    clock = next((c for c in tracking.clocks_of(plan, row, now) if c.stage.key == stage), None)
    if clock is None:
        stages = ", ".join(s.key for s in tracking.definition(row).stages)
        raise InvalidInput(
            f"{row.name} has no stage {stage[:64]!r}; it has {stages}", field="stage"
        )
    if clock.state is State.not_applicable:
        question = tracking.definition(row).conditions.get(clock.stage.when or "", "")
        raise InvalidInput(
            f"{clock.stage.name} applies only when this is answered yes: {question}",
            field="stage",
        )
    if clock.submitted_at is not None:
        raise Conflict(f"{clock.stage.name} is already recorded as submitted", field="stage")
    authority = _required(authority, "authority", MAX_AUTHORITY)
    reference = _optional(reference, "reference", MAX_REFERENCE)
    note = _optional(note, "note", MAX_NOTE)
    submitted_at, zone = stated_time(at, time_zone, now=now, field="at")
    document = None
    if document_sha256:
        document = documents.find(session, incident, document_sha256)
        if document is None:
            raise InvalidInput(
                f"no document with SHA-256 {document_sha256[:64]!r} was uploaded for"
                f" {incident.ref}; upload it first",
                field="document_sha256",
            )
    submission = ObligationSubmission(
        stage_key=stage,
        submitted_at=submitted_at,
        time_zone=zone,
        authority=authority,
        reference=reference,
        note=note,
        document=document,
        due_at=clock.due_at,
        recorded_by_id=principal.user_id,
        recorded_at=now,
    )
    row.submissions.append(submission)
    late = clock.due_at is not None and submitted_at > clock.due_at
    body = f"{row.name}, {clock.stage.name.lower()}: submitted to {authority}"
    if reference:
        body += f", reference {reference}"
    if late and clock.due_at is not None:
        body += f"; late by {summary.span_text(submitted_at - clock.due_at)}"
    record_event(
        session,
        incident,
        kind="obligation_submitted",
        principal=principal,
        now=now,
        occurred_at=submitted_at,
        body=body + (f". {note}" if note else ""),
        data={
            "obligation": row.key,
            "stage": stage,
            "authority": authority,
            "reference": reference,
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
            "late": late,
            "document_sha256": document.sha256 if document else None,
        },
    )
    timers.schedule(session, plan, row, now)
    return submission


def detach(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    row: IncidentObligation,
    *,
    reason: str,
) -> IncidentObligation:
    """Take an obligation off the incident, with the reason; its history
    stays, and its timers find it detached and do nothing."""
    reason = _required(reason, "reason", MAX_REASON)
    row.detached_at, row.detached_by_id, row.detach_reason = now, principal.user_id, reason
    record_event(
        session,
        incident,
        kind="obligation_detached",
        principal=principal,
        now=now,
        body=f"Obligation detached: {row.name}. {reason}",
        data={"obligation": row.key, "reason": reason},
    )
    return row


def _answers(questions: Mapping[str, str], given: Mapping[str, object]) -> dict[str, bool]:
    unknown = [k for k in given if k not in questions]
    if unknown:
        asks = ", ".join(questions) or "no conditions"
        raise InvalidInput(
            f"unknown condition {unknown[0][:64]!r}; this obligation asks {asks}",
            field="conditions",
        )
    for key, value in given.items():
        if not isinstance(value, bool):
            raise InvalidInput(f"answer {key[:64]!r} with true or false", field="conditions")
    return {k: bool(v) for k, v in given.items()}


def _required(value: str, field: str, limit: int) -> str:
    value = _optional(value, field, limit)
    if not value:
        raise InvalidInput(f"{field} is required", field=field)
    return value


def _optional(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return value
