"""JSON API over the audit log, for admins: browse it and check its hash chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fireline.core.audit import AuditEvent, verify
from fireline.core.deps import Principal, get_session, require_admin
from fireline.core.ids import MAX_ID

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
MAX_LIMIT = 500


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
    bad_action: str | None
    bad_at: str | None
    reason: str


@dataclass(frozen=True)
class EventFilter:
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    before_seq: int | None = None
    limit: int = 100


def event_query(wanted: EventFilter) -> Select[AuditEvent]:
    """Newest first; ``before_seq`` continues from the last seq of the previous page."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(wanted.limit)
    for column, value in (
        (AuditEvent.object_type, wanted.object_type),
        (AuditEvent.object_id, wanted.object_id),
        (AuditEvent.action, wanted.action),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.before_seq is not None:
        query = query.where(AuditEvent.seq < wanted.before_seq)
    return query


@router.get("", response_model=list[AuditEventOut], summary="Audit events, newest first")
def list_events(
    object_type: str | None = Query(default=None, max_length=64),
    object_id: str | None = Query(default=None, max_length=64),
    action: str | None = Query(default=None, max_length=100),
    before_seq: int | None = Query(
        default=None, ge=1, le=MAX_ID, description="only events before this seq: the next page"
    ),
    limit: int = Query(default=100, ge=1, le=MAX_LIMIT),
    _: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
) -> list[AuditEventOut]:
    wanted = EventFilter(object_type, object_id, action, before_seq, limit)
    return [
        AuditEventOut.model_validate(event, from_attributes=True)
        for event in session.scalars(event_query(wanted))
    ]


@router.get("/verify", response_model=VerifyOut, summary="Recompute the hash chain")
def verify_chain(
    _: Principal = Depends(require_admin), session: Session = Depends(get_session)
) -> VerifyOut:
    """``ok`` false names the first bad record; ``head_seq:head_hash`` is the anchor to keep."""
    result = verify(session)
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        bad_seq=result.bad_seq,
        bad_action=result.bad_action,
        bad_at=result.bad_at,
        reason=result.reason,
    )
