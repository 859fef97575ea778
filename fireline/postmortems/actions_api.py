"""JSON API for the action-item board across incidents, and the closure-on-time rate."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_viewer
from fireline.incidents.api import get_plan
from fireline.incidents.models import ActionItem, Incident
from fireline.plan.schema import Plan
from fireline.postmortems import actions

router = APIRouter(prefix="/api/v1", tags=["action items"])


class BoardItemOut(BaseModel):
    id: int
    incident_id: int
    incident: str
    incident_title: str
    title: str
    status: str
    priority: str
    owner_id: int | None
    owner: str | None
    due_date: date | None
    overdue: bool
    ticket_url: str
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, item: ActionItem, incident: Incident, overdue: bool) -> BoardItemOut:
        return cls(
            id=item.id,
            incident_id=incident.id,
            incident=incident.ref,
            incident_title=incident.title,
            title=item.title,
            status=item.status,
            priority=item.priority,
            owner_id=item.owner_id,
            owner=item.owner.name if item.owner else None,
            due_date=item.due_date,
            overdue=overdue,
            ticket_url=item.ticket_url,
            created_at=item.created_at,
            closed_at=item.closed_at,
        )


class ClosureOut(BaseModel):
    on_time: int
    late: int
    pending: int
    rate: float | None


@router.get(
    "/action-items", response_model=list[BoardItemOut], summary="Action items across incidents"
)
def action_item_board(
    status: str = Query(
        default="open", max_length=16, description="open (not closed), closed, all, or a status"
    ),
    owner: str = Query(default="", max_length=320, description="user id or e-mail"),
    team: str = Query(default="", max_length=64, description="team slug: items its members own"),
    overdue: bool = Query(default=False),
    priority: str = Query(default="", max_length=16),
    limit: int = Query(default=200, ge=1, le=1000),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> list[BoardItemOut]:
    zone = ZoneInfo(plan.organisation.time_zone)
    filters = actions.BoardFilter(
        status, owner or None, team or None, overdue, priority or None, limit
    )
    return [
        BoardItemOut.of(item, incident, actions.is_overdue(item, zone, now))
        for item, incident in actions.board(session, principal, zone, now, filters)
    ]


@router.get("/action-items/closure", response_model=ClosureOut)
def closure_rate(
    since: date | None = Query(default=None, description="only items due on or after this day"),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> ClosureOut:
    """Of the items whose due day has come, the share closed by the end of it (exercises left out)."""
    zone = ZoneInfo(plan.organisation.time_zone)
    result = actions.closure(session, principal, zone, now, since=since)
    return ClosureOut(**result.as_dict())  # type: ignore[arg-type]
