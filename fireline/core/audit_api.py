"""JSON API over the audit log, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.audit import AuditEvent, verify
from fireline.core.deps import Principal, get_session, require_admin
from fireline.core.ids import MAX_ID

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor_type: str
    actor_id: str
    actor_name: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None
    reason: str


@router.get("", response_model=list[AuditEventOut], summary="Audit events, newest first")
def list_events(
    object_type: str | None = Query(default=None, max_length=64),
    object_id: str | None = Query(default=None, max_length=64),
    action: str | None = Query(default=None, max_length=100),
    before_seq: int | None = Query(default=None, ge=1, le=MAX_ID, description="for paging"),
    limit: int = Query(default=100, ge=1, le=500),
    _: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
) -> list[AuditEventOut]:
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    for column, value in (
        (AuditEvent.object_type, object_type),
        (AuditEvent.object_id, object_id),
        (AuditEvent.action, action),
    ):
        if value is not None:
            query = query.where(column == value)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in session.scalars(query)]


@router.get("/verify", response_model=VerifyOut, summary="Recompute the hash chain")
def verify_chain(
    _: Principal = Depends(require_admin), session: Session = Depends(get_session)
) -> VerifyOut:
    result = verify(session)
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        bad_seq=result.bad_seq,
        reason=result.reason,
    )
