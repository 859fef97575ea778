"""JSON API for incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.strict import Moment, Strict
from fireline.incidents import paging as incident_paging
from fireline.incidents import queries, search, service
from fireline.incidents.models import Incident, TimelineEvent
from fireline.oncall.paging_api import PageOut
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


def get_plan(request: Request) -> Plan:
    plan: Plan = request.app.state.plan
    return plan


class DeclareIn(Strict):
    title: str = Field(max_length=300)
    type: str = Field(max_length=64, description="incident type key, e.g. service_outage")
    severity: str | None = Field(default=None, max_length=16, description="SEV1…SEV4, or 1…4")
    summary: str = Field(default="", max_length=20_000)
    services: list[str] = Field(default_factory=list, max_length=50)
    commander: str | None = Field(default=None, description="user id or e-mail; default: you")
    started_at: datetime | None = None
    restricted: bool = False
    classification: dict[str, str] = Field(
        default_factory=dict, description="question key → answer key"
    )


class StatusIn(Strict):
    status: str = Field(max_length=64)
    reason: str = Field(default="", max_length=5000)
    occurred_at: datetime | None = Field(
        default=None, description="when it happened, if earlier than now"
    )


class SeverityIn(Strict):
    severity: str = Field(max_length=16)
    reason: str = Field(max_length=5000)


class TypeIn(Strict):
    type: str = Field(max_length=64)
    reason: str = Field(max_length=5000)
    status: str | None = Field(
        default=None,
        max_length=64,
        description="where it stands in the new type's lifecycle, when that lacks its state",
    )


class RoleIn(Strict):
    role: str = Field(max_length=64)
    user: str = Field(max_length=320)


class NoteIn(Strict):
    body: str = Field(max_length=20_000)
    occurred_at: datetime | None = None
    pinned: bool = False


class EventOut(BaseModel):
    id: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    actor_id: int | None
    body: str
    data: dict[str, Any]
    pinned: bool
    audit_seq: int

    @classmethod
    def of(cls, event: TimelineEvent) -> EventOut:
        return cls.model_validate(event, from_attributes=True)


class IncidentOut(BaseModel):
    ref: str
    id: int
    title: str
    summary: str
    type: str
    severity: str
    status: str
    is_open: bool
    restricted: bool
    is_exercise: bool = False
    services: list[str]
    commander: dict[str, Any] | None
    roles: list[dict[str, Any]]
    milestones: dict[str, datetime | None]
    missing_roles: list[str]
    participants: list[dict[str, Any]]

    @classmethod
    def of(cls, incident: Incident, plan: Plan) -> IncidentOut:
        commander = incident.commander
        return cls(
            ref=incident.ref,
            id=incident.id,
            title=incident.title,
            summary=incident.summary,
            type=incident.type_key,
            severity=incident.severity,
            status=incident.status,
            is_open=incident.is_open,
            restricted=incident.restricted,
            is_exercise=incident.is_exercise,
            services=[s.slug for s in incident.services],
            commander={"id": commander.id, "name": commander.name, "email": commander.email}
            if commander
            else None,
            roles=[
                {
                    "role": r.role_key,
                    "user_id": r.user_id,
                    "user": r.user.name,
                    "assigned_at": r.assigned_at,
                }
                for r in incident.roles
                if r.ended_at is None
            ],
            milestones={
                name: getattr(incident, f"{name}_at")
                for name in (
                    "started",
                    "detected",
                    "declared",
                    "acknowledged",
                    "mitigated",
                    "resolved",
                    "closed",
                )
            },
            missing_roles=service.missing_roles(plan, incident),
            participants=[{"user_id": p.user_id, "kind": p.kind} for p in incident.participants],
        )


@router.post("", response_model=IncidentOut, status_code=201, summary="Declare an incident")
def declare(
    body: DeclareIn,
    idempotency_key: str | None = Header(default=None, max_length=300),
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> JSONResponse:
    declaration = service.Declaration(**body.model_dump())
    incident, created = service.declare(session, plan, principal, now, declaration, idempotency_key)
    session.commit()
    # A retried request gets the incident it already made, with 200 rather than 201.
    payload = IncidentOut.of(incident, plan).model_dump(mode="json")
    return JSONResponse(payload, status_code=201 if created else 200)


@router.get("", response_model=list[IncidentOut])
def list_incidents(
    status: str | None = Query(default=None, max_length=64, description="open, closed or a state"),
    severity: str | None = Query(default=None, max_length=16),
    type: str | None = Query(default=None, max_length=64),
    service_slug: str | None = Query(default=None, alias="service", max_length=64),
    commander: str | None = Query(default=None, max_length=320),
    declared_after: Moment | None = None,
    declared_before: Moment | None = None,
    sort: str = Query(default="newest", max_length=16, description="newest, oldest or severity"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> list[IncidentOut]:
    filters = queries.IncidentFilter(
        status=status,
        severity=severity,
        type=type,
        service=service_slug,
        commander=commander,
        declared_after=declared_after,
        declared_before=declared_before,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return [IncidentOut.of(i, plan) for i in queries.list_incidents(session, principal, filters)]


class SearchHitOut(BaseModel):
    ref: str
    title: str
    severity: str
    status: str
    source: str
    snippet_html: str = Field(description="the matching text, HTML-escaped, matches in <mark>")


@router.get("/search", response_model=list[SearchHitOut], summary="Full-text search")
def search_incidents(
    q: str = Query(max_length=500, description="words to find in titles, summaries and notes"),
    limit: int = Query(default=20, ge=1, le=100),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[SearchHitOut]:
    return [
        SearchHitOut(
            ref=hit.incident.ref,
            title=hit.incident.title,
            severity=hit.incident.severity,
            status=hit.incident.status,
            source=hit.source,
            snippet_html=str(hit.snippet),
        )
        for hit in search.search(session, principal, q, limit)
    ]


@router.get("/{ref}", response_model=IncidentOut)
def get_incident(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    return IncidentOut.of(queries.get_visible(session, principal, ref), plan)


@router.get("/{ref}/timeline", response_model=list[EventOut])
def get_timeline(
    ref: str,
    kind: str | None = Query(default=None, max_length=32),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[EventOut]:
    incident = queries.get_visible(session, principal, ref)
    return [EventOut.of(e) for e in queries.timeline(session, incident, kind)]


@router.post("/{ref}/status", response_model=IncidentOut)
def change_status(
    ref: str,
    body: StatusIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.change_status(
        session,
        plan,
        principal,
        now,
        incident,
        body.status,
        reason=body.reason,
        occurred_at=body.occurred_at,
    )
    session.commit()
    return IncidentOut.of(incident, plan)


class ResolveIn(Strict):
    reason: str = Field(default="", max_length=5000)


@router.post(
    "/{ref}/resolve", response_model=IncidentOut, summary="Move to the lifecycle's resolving state"
)
def resolve(
    ref: str,
    body: ResolveIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.resolve(session, plan, principal, now, incident, reason=body.reason)
    session.commit()
    return IncidentOut.of(incident, plan)


class MilestoneIn(Strict):
    milestone: str = Field(
        max_length=32, description="started, detected, acknowledged, mitigated or resolved"
    )
    at: datetime
    reason: str = Field(max_length=5000)


@router.post(
    "/{ref}/milestones", response_model=IncidentOut, summary="Record a milestone after the fact"
)
def set_milestone(
    ref: str,
    body: MilestoneIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.set_milestone(session, principal, now, incident, body.milestone, body.at, body.reason)
    session.commit()
    return IncidentOut.of(incident, plan)


@router.post("/{ref}/severity", response_model=IncidentOut)
def change_severity(
    ref: str,
    body: SeverityIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.change_severity(session, plan, principal, now, incident, body.severity, body.reason)
    session.commit()
    return IncidentOut.of(incident, plan)


@router.post("/{ref}/type", response_model=IncidentOut)
def change_type(
    ref: str,
    body: TypeIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.change_type(
        session, plan, principal, now, incident, body.type, body.reason, status=body.status
    )
    session.commit()
    return IncidentOut.of(incident, plan)


@router.post("/{ref}/roles", response_model=IncidentOut, status_code=201)
def assign_role(
    ref: str,
    body: RoleIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.assign_role(session, plan, principal, now, incident, body.role, body.user)
    session.commit()
    return IncidentOut.of(incident, plan)


@router.delete("/{ref}/roles/{role}/{user_ref}", response_model=IncidentOut)
def unassign_role(
    ref: str,
    role: str,
    user_ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.unassign_role(session, principal, now, incident, role, user_ref)
    session.commit()
    return IncidentOut.of(incident, plan)


@router.post("/{ref}/notes", response_model=EventOut, status_code=201)
def add_note(
    ref: str,
    body: NoteIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> EventOut:
    incident = queries.get_visible(session, principal, ref)
    event = service.add_note(
        session,
        principal,
        now,
        incident,
        body.body,
        occurred_at=body.occurred_at,
        pinned=body.pinned,
    )
    session.commit()
    return EventOut.of(event)


@router.put("/{ref}/follow", response_model=IncidentOut, summary="Follow an incident's updates")
def follow(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.follow(session, principal, now, incident, on=True)
    session.commit()
    return IncidentOut.of(incident, plan)


@router.delete("/{ref}/follow", response_model=IncidentOut, summary="Stop following")
def unfollow(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> IncidentOut:
    incident = queries.get_visible(session, principal, ref)
    service.follow(session, principal, now, incident, on=False)
    session.commit()
    return IncidentOut.of(incident, plan)


class PageIn(Strict):
    escalation_policy: str | None = Field(
        default=None, max_length=64, description="default: the affected services' policy"
    )
    urgency: str | None = Field(default=None, description="high or low; default by severity")


@router.post("/{ref}/page", response_model=PageOut, status_code=201)
def page(
    ref: str,
    body: PageIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> PageOut:
    """Page people for the incident through an escalation policy."""
    incident = queries.get_visible(session, principal, ref)
    started = incident_paging.page_by_request(
        session,
        incident,
        principal=principal,
        now=now,
        policy_ref=body.escalation_policy,
        urgency=body.urgency,
    )
    session.commit()
    return PageOut.of(started)
