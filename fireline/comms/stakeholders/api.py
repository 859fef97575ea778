"""JSON API for an incident's stakeholder updates and their cadence."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.comms.stakeholders import service
from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.strict import Strict
from fireline.incidents import queries
from fireline.incidents.api import get_plan
from fireline.incidents.models import TimelineEvent
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1/incidents", tags=["stakeholder updates"])


class UpdateIn(Strict):
    body: str = Field(max_length=service.MAX_BODY)


class UpdateOut(BaseModel):
    id: int
    body: str
    author_id: int | None
    at: datetime

    @classmethod
    def of(cls, event: TimelineEvent) -> UpdateOut:
        return cls(id=event.id, body=event.body, author_id=event.actor_id, at=event.occurred_at)


class UpdatesOut(BaseModel):
    updates: list[UpdateOut]
    every_minutes: int | None = Field(description="the severity's cadence; null: none")
    next_due_at: datetime | None
    overdue: bool


@router.get("/{ref}/stakeholder-updates", response_model=UpdatesOut)
def list_updates(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
    now: datetime = Depends(get_now),
) -> UpdatesOut:
    incident = queries.get_visible(session, principal, ref)
    state = service.cadence_of(session, plan, incident, now)
    return UpdatesOut(
        updates=[UpdateOut.of(e) for e in service.updates(session, incident)],
        every_minutes=int(state.every.total_seconds() // 60) if state.every else None,
        next_due_at=state.due_at,
        overdue=state.overdue,
    )


@router.post("/{ref}/stakeholder-updates", response_model=UpdateOut, status_code=201)
def post_update(
    ref: str,
    body: UpdateIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> UpdateOut:
    incident = queries.get_visible(session, principal, ref)
    event = service.post_update(session, principal, now, incident, body=body.body)
    session.commit()
    return UpdateOut.of(event)
