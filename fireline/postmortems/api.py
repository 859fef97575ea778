"""JSON API for post-mortems: one per incident, its review workflow and export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.strict import Strict
from fireline.incidents import queries as incident_queries
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.postmortems import export, queries, service
from fireline.postmortems.models import PostMortem

router = APIRouter(prefix="/api/v1", tags=["post-mortems"])


class BodyIn(Strict):
    body: str = Field(max_length=service.MAX_BODY, description="Markdown")
    title: str | None = Field(default=None, max_length=service.MAX_TITLE)


class ReviewerIn(Strict):
    user: str = Field(max_length=320, description="user id or e-mail")


class ReviewIn(Strict):
    decision: str = Field(max_length=24, description="approved or changes_requested")
    comment: str = Field(default="", max_length=service.MAX_COMMENT)


class ReviewerOut(BaseModel):
    user_id: int
    name: str
    email: str
    decision: str
    comment: str
    decided_at: datetime | None


class FindingOut(BaseModel):
    sentence: str
    person: str
    words: list[str]
    suggestion: str


class PostmortemSummary(BaseModel):
    id: int
    incident: str
    incident_title: str
    severity: str
    title: str
    status: str
    due_date: date | None
    overdue: bool
    required: bool
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None


class PostmortemOut(PostmortemSummary):
    body: str
    updated_at: datetime
    published_by: str | None
    reviewers: list[ReviewerOut]
    blameless: list[FindingOut] = Field(description="advice: sentences that may blame a person")


def _out(
    session: Session, plan: Plan, now: datetime, incident: Incident, pm: PostMortem
) -> PostmortemOut:
    session.refresh(pm)
    return PostmortemOut(**queries.detail(session, pm, incident, plan, now))


@router.get("/postmortems", response_model=list[PostmortemSummary])
def list_postmortems(
    status: str = Query(default="", max_length=16, description="draft, in_review or published"),
    overdue: bool = Query(default=False, description="only unpublished ones past their due date"),
    severity: str = Query(default="", max_length=16),
    limit: int = Query(default=200, ge=1, le=1000),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> list[PostmortemSummary]:
    zone = ZoneInfo(plan.organisation.time_zone)
    filters = queries.ListFilter(status or None, overdue, severity or None, limit)
    return [
        PostmortemSummary(**queries.summary(pm, incident, plan, now))
        for pm, incident in queries.listing(session, principal, zone, now, filters)
    ]


@router.get("/incidents/{ref}/postmortem", response_model=PostmortemOut)
def get_postmortem(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    return _out(session, plan, now, incident, service.require(session, incident))


@router.post("/incidents/{ref}/postmortem", response_model=PostmortemOut, status_code=201)
def draft_postmortem(
    ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    """Draft the post-mortem from what fireline knows of the incident."""
    incident = incident_queries.get_visible(session, principal, ref)
    pm = service.draft(session, plan, principal, now, incident)
    session.commit()
    return _out(session, plan, now, incident, pm)


@router.put("/incidents/{ref}/postmortem", response_model=PostmortemOut)
def edit_postmortem(
    ref: str,
    body: BodyIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    pm = service.edit(session, principal, now, incident, body=body.body, title=body.title)
    session.commit()
    return _out(session, plan, now, incident, pm)


@router.post("/incidents/{ref}/postmortem/reviewers", response_model=PostmortemOut, status_code=201)
def add_reviewer(
    ref: str,
    body: ReviewerIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    service.add_reviewer(session, principal, now, incident, body.user)
    session.commit()
    return _out(session, plan, now, incident, service.require(session, incident))


@router.delete("/incidents/{ref}/postmortem/reviewers/{user_ref}", response_model=PostmortemOut)
def remove_reviewer(
    ref: str,
    user_ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    service.remove_reviewer(session, principal, now, incident, user_ref[:320])
    session.commit()
    return _out(session, plan, now, incident, service.require(session, incident))


@router.post("/incidents/{ref}/postmortem/submit", response_model=PostmortemOut)
def submit(
    ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    pm = service.submit(session, principal, now, incident)
    session.commit()
    return _out(session, plan, now, incident, pm)


@router.post("/incidents/{ref}/postmortem/reviews", response_model=PostmortemOut)
def review(
    ref: str,
    body: ReviewIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    """A named reviewer approves, or requests changes (which sends it back to draft)."""
    incident = incident_queries.get_visible(session, principal, ref)
    pm = service.review(
        session, principal, now, incident, decision=body.decision, comment=body.comment
    )
    session.commit()
    return _out(session, plan, now, incident, pm)


@router.post("/incidents/{ref}/postmortem/publish", response_model=PostmortemOut)
def publish(
    ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> PostmortemOut:
    incident = incident_queries.get_visible(session, principal, ref)
    pm = service.publish(session, principal, now, incident)
    session.commit()
    return _out(session, plan, now, incident, pm)


@router.get(
    "/incidents/{ref}/postmortem/export",
    response_class=Response,
    responses={200: {"content": {t: {} for t in export.FORMATS.values()}}},
)
def export_postmortem(
    ref: str,
    format: str = Query(default="md", max_length=8, description="md or pdf"),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = incident_queries.get_visible(session, principal, ref)
    fmt = export.check_format(format)
    pm = service.require(session, incident)
    content = export.export(session, plan, principal, now, incident, pm, fmt)
    session.commit()
    return download(content, incident, fmt)


def download(content: bytes, incident: Incident, fmt: str) -> Response:
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{export.filename(incident, fmt)}"'
    }
    return Response(content, media_type=export.FORMATS[fmt], headers=headers)
