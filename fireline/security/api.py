"""JSON API for a security incident's classification, approvals and confidential notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.errors import NotFound
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.incidents import queries
from fireline.incidents.api import get_plan
from fireline.plan.schema import Plan
from fireline.security import classification, service
from fireline.security.models import ApprovalRequest, ClassificationRecord, ConfidentialNote

router = APIRouter(prefix="/api/v1/incidents/{ref}", tags=["security"])


class ClassificationIn(Strict):
    functional: Literal[classification.FUNCTIONAL] = "none"  # type: ignore[valid-type]
    information: list[Literal[classification.INFORMATION]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=4
    )
    recoverability: Literal[classification.RECOVERABILITY] = "regular"  # type: ignore[valid-type]
    data: list[Literal[classification.DATA]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(classification.DATA)
    )
    records: int | None = Field(default=None, ge=0, le=classification.MAX_COUNT)
    people: int | None = Field(default=None, ge=0, le=classification.MAX_COUNT)
    jurisdictions: list[str] = Field(
        default_factory=list, max_length=100, description='ISO 3166 codes: "DE", "US-NY", "EU"'
    )


class DecisionIn(Strict):
    accept: bool = Field(description="true: the suggested severity; false: `severity` instead")
    severity: str | None = Field(default=None, max_length=16)
    reason: str = Field(max_length=5000)


class ClassificationOut(BaseModel):
    values: dict[str, Any]
    suggested_severity: str
    suggested_because: list[str]
    suggested_obligations: list[dict[str, Any]]
    classified_at: datetime
    classified_by_id: int | None
    decision: str | None
    decided_severity: str | None
    decision_reason: str
    decided_by_id: int | None
    decided_at: datetime | None

    @classmethod
    def of(cls, record: ClassificationRecord) -> ClassificationOut:
        return cls.model_validate(record, from_attributes=True)


class ApprovalIn(Strict):
    phase: str = Field(max_length=32, description="containment, eradication or recovery")
    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=20_000)
    roles: list[str] = Field(max_length=20, description="plan roles that must approve")


class ApprovalDecisionIn(Strict):
    role: str = Field(max_length=64)
    decision: str = Field(max_length=16, description="approve or reject")
    rationale: str = Field(max_length=5000)


class OutcomeIn(Strict):
    outcome: str = Field(max_length=5000)


class ReasonIn(Strict):
    reason: str = Field(max_length=5000)


class ApprovalOut(BaseModel):
    id: int
    phase: str
    title: str
    description: str
    required_roles: list[str]
    status: str
    requested_by_id: int | None
    requested_at: datetime
    decided_at: datetime | None
    carried_out_by_id: int | None
    carried_out_at: datetime | None
    outcome: str
    decisions: list[dict[str, Any]]

    @classmethod
    def of(cls, request: ApprovalRequest) -> ApprovalOut:
        return cls(
            **{
                name: getattr(request, name)
                for name in cls.model_fields
                if name not in ("decisions",)
            },
            decisions=[
                {
                    "role": d.role_key,
                    "user_id": d.user_id,
                    "user": d.user.name,
                    "decision": d.decision,
                    "rationale": d.rationale,
                    "decided_at": d.decided_at,
                }
                for d in request.decisions
            ],
        )


class NoteIn(Strict):
    body: str = Field(max_length=20_000)
    roles: list[str] = Field(max_length=20, description="plan roles who may read it")


class NoteOut(BaseModel):
    id: int
    author_id: int
    roles: list[str]
    created_at: datetime
    body_sha256: str
    audit_seq: int
    readable: bool
    body: str | None = Field(description="null when you may not read it")

    @classmethod
    def of(cls, note: ConfidentialNote, readable: bool) -> NoteOut:
        return cls(
            id=note.id,
            author_id=note.author_id,
            roles=note.roles,
            created_at=note.created_at,
            body_sha256=note.body_sha256,
            audit_seq=note.audit_seq,
            readable=readable,
            body=note.body if readable else None,
        )


# --- classification -----------------------------------------------------------


@router.get("/classification", response_model=ClassificationOut)
def get_classification(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> ClassificationOut:
    incident = queries.get_visible(session, principal, ref)
    record = service.current_classification(session, incident)
    if record is None:
        raise NotFound(f"{incident.ref} is not classified yet")
    return ClassificationOut.of(record)


@router.put("/classification", response_model=ClassificationOut)
def put_classification(
    ref: str,
    body: ClassificationIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> ClassificationOut:
    incident = queries.get_visible(session, principal, ref)
    record = service.classify(session, plan, principal, now, incident, body.model_dump())
    session.commit()
    return ClassificationOut.of(record)


@router.post("/classification/decision", response_model=ClassificationOut)
def decide_classification(
    ref: str,
    body: DecisionIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> ClassificationOut:
    incident = queries.get_visible(session, principal, ref)
    record = service.decide_classification(
        session,
        plan,
        principal,
        now,
        incident,
        accept=body.accept,
        severity=body.severity,
        reason=body.reason,
    )
    session.commit()
    return ClassificationOut.of(record)


# --- approvals ----------------------------------------------------------------


@router.get("/approvals", response_model=list[ApprovalOut])
def list_approvals(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[ApprovalOut]:
    incident = queries.get_visible(session, principal, ref)
    return [ApprovalOut.of(r) for r in service.list_approvals(session, incident)]


@router.post("/approvals", response_model=ApprovalOut, status_code=201)
def request_approval(
    ref: str,
    body: ApprovalIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> ApprovalOut:
    incident = queries.get_visible(session, principal, ref)
    request = service.request_approval(
        session,
        plan,
        principal,
        now,
        incident,
        phase=body.phase,
        title=body.title,
        roles=body.roles,
        description=body.description,
    )
    session.commit()
    return ApprovalOut.of(request)


@router.post("/approvals/{approval_id}/decisions", response_model=ApprovalOut)
def decide_approval(
    ref: str,
    approval_id: RowId,
    body: ApprovalDecisionIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ApprovalOut:
    incident = queries.get_visible(session, principal, ref)
    request = service.decide_approval(
        session,
        principal,
        now,
        incident,
        approval_id,
        role=body.role,
        decision=body.decision,
        rationale=body.rationale,
    )
    session.commit()
    return ApprovalOut.of(request)


@router.post("/approvals/{approval_id}/carried-out", response_model=ApprovalOut)
def carried_out(
    ref: str,
    approval_id: RowId,
    body: OutcomeIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ApprovalOut:
    incident = queries.get_visible(session, principal, ref)
    request = service.carry_out(
        session, principal, now, incident, approval_id, outcome=body.outcome
    )
    session.commit()
    return ApprovalOut.of(request)


@router.post("/approvals/{approval_id}/withdraw", response_model=ApprovalOut)
def withdraw(
    ref: str,
    approval_id: RowId,
    body: ReasonIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ApprovalOut:
    incident = queries.get_visible(session, principal, ref)
    request = service.withdraw(session, principal, now, incident, approval_id, reason=body.reason)
    session.commit()
    return ApprovalOut.of(request)


# --- confidential notes -------------------------------------------------------


@router.get("/confidential-notes", response_model=list[NoteOut])
def list_notes(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[NoteOut]:
    incident = queries.get_visible(session, principal, ref)
    return [NoteOut.of(n, ok) for n, ok in service.confidential_notes(session, principal, incident)]


@router.post("/confidential-notes", response_model=NoteOut, status_code=201)
def add_note(
    ref: str,
    body: NoteIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> NoteOut:
    incident = queries.get_visible(session, principal, ref)
    note = service.add_confidential_note(
        session, plan, principal, now, incident, body=body.body, roles=body.roles
    )
    session.commit()
    return NoteOut.of(note, True)
