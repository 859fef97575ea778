"""The JSON shapes of the obligations API: what clients send and get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from fireline.core.strict import Strict
from fireline.people.models import User
from fireline.security.obligations import catalog
from fireline.security.obligations.clocks import Clock, Obligation
from fireline.security.obligations.models import IncidentObligation, ObligationSubmission
from fireline.security.obligations.summary import ObligationSummary, SuggestionSummary

ZONE = Field(
    default=None,
    max_length=64,
    description="IANA zone a time without an offset is in, e.g. Europe/Berlin",
)


class AttachIn(Strict):
    key: str = Field(max_length=64, description="a preset's or the plan's obligation key")
    reason: str = Field(max_length=5000, description="why it applies (or why it was confirmed)")
    conditions: dict[str, bool] = Field(
        default_factory=dict, max_length=20, description="condition key → answer"
    )
    trigger_at: datetime | None = Field(
        default=None, description="when the trigger happened, with its offset; may be past"
    )
    time_zone: str | None = ZONE


class MomentIn(Strict):
    moment: str = Field(
        default="trigger", max_length=32, description="trigger, aware or ransom_paid"
    )
    at: datetime = Field(description="when it happened, with its offset; not in the future")
    time_zone: str | None = ZONE
    note: str = Field(default="", max_length=5000)


class ConditionsIn(Strict):
    conditions: dict[str, bool] = Field(max_length=20, description="condition key → answer")
    reason: str = Field(default="", max_length=5000)


class SubmissionIn(Strict):
    stage: str = Field(max_length=64)
    at: datetime = Field(description="when it was sent, with its offset; not in the future")
    time_zone: str | None = ZONE
    authority: str = Field(max_length=300, description="to whom: the authority or recipient")
    reference: str = Field(default="", max_length=200, description="their reference number")
    note: str = Field(default="", max_length=5000)
    document_sha256: str | None = Field(
        default=None, max_length=64, description="a document uploaded for this incident"
    )


class DetachIn(Strict):
    reason: str = Field(max_length=5000)


class DocumentOut(BaseModel):
    sha256: str
    size: int
    filename: str
    content_type: str
    uploaded_at: datetime


def _person(user: User | None) -> str | None:
    return user.name if user is not None else None


def submission_data(submission: ObligationSubmission | None) -> dict[str, Any] | None:
    if submission is None:
        return None
    document = submission.document
    return {
        "submitted_at": submission.submitted_at,
        "time_zone": submission.time_zone,
        "authority": submission.authority,
        "reference": submission.reference,
        "note": submission.note,
        "due_at": submission.due_at,
        "document": {
            "sha256": document.sha256,
            "filename": document.filename,
            "size": document.size,
        }
        if document
        else None,
        "recorded_by": _person(submission.recorded_by),
        "recorded_at": submission.recorded_at,
    }


def obligation_data(found: ObligationSummary) -> dict[str, Any]:
    row: IncidentObligation = found.row
    upcoming = found.next_deadline
    return {
        "key": row.key,
        "name": row.name,
        "trigger": found.obligation.trigger,
        "source": row.source,
        "reason": row.reason,
        "attached_by": _person(row.attached_by),
        "attached_at": row.attached_at,
        "detached_at": row.detached_at,
        "detached_by": _person(row.detached_by),
        "detach_reason": row.detach_reason or None,
        "conditions": [
            {"key": c.key, "question": c.question, "answer": c.answer} for c in found.conditions
        ],
        "moments": [
            {
                "key": m.key,
                "name": m.name,
                "at": m.record.occurred_at if m.record else None,
                "time_zone": m.record.time_zone if m.record else None,
                "note": m.record.note if m.record else None,
                "recorded_by": _person(m.record.recorded_by) if m.record else None,
                "recorded_at": m.record.recorded_at if m.record else None,
            }
            for m in found.moments
        ],
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "state": s.state.value,
                "due_at": s.due_at,
                "clocks": s.clocks,
                "when": s.when,
                "question": s.question,
                "submission": submission_data(s.submission),
            }
            for s in found.stages
        ],
        "next_deadline": {
            "stage": upcoming.key,
            "due_at": upcoming.due_at,
            "state": upcoming.state.value,
        }
        if upcoming
        else None,
    }


def suggestion_data(found: SuggestionSummary) -> dict[str, Any]:
    return {
        "key": found.key,
        "name": found.name,
        "reasons": found.reasons,
        "conditions": found.conditions,
    }


def deadline_data(row: IncidentObligation, clock: Clock, now: datetime) -> dict[str, Any]:
    assert clock.due_at is not None  # open deadlines always have one
    return {
        "incident": row.incident.ref,
        "incident_title": row.incident.title,
        "obligation": row.key,
        "obligation_name": row.name,
        "stage": clock.stage.key,
        "stage_name": clock.stage.name,
        "state": clock.state.value,
        "due_at": clock.due_at,
        "seconds_left": int((clock.due_at - now).total_seconds()),
    }


def preset_data(obligation: Obligation, origin: str) -> dict[str, Any]:
    return {**catalog.to_data(obligation), "origin": origin}
