"""JSON API for escalation policies and the pages they start. Included by
``api``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.service import find_service
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_manager,
    require_responder,
    require_viewer,
)
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.ids import RowId
from fireline.core.strict import NotNull, Strict
from fireline.oncall import paging, policies
from fireline.oncall.escalation import MAX_REPEAT
from fireline.oncall.models import EscalationPolicy, Page
from fireline.oncall.page_access import visible_pages
from fireline.people.models import User
from fireline.people.service import find_user

# Included by fireline.oncall.api, under /api/v1.
router = APIRouter(tags=["on-call"])


AckTimeout = Annotated[int | None, Field(ge=1, le=policies.MAX_ACK_TIMEOUT)]


class PolicyIn(Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    steps: list[dict[str, Any]] = Field(min_length=1, max_length=20)
    repeat: int = Field(default=0, ge=0, le=MAX_REPEAT)
    ack_timeout_minutes: AckTimeout = None
    team: str | None = None
    description: str = Field(default="", max_length=2000)


class PolicyPatch(Strict):
    name: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=200)
    steps: Annotated[list[dict[str, Any]] | None, NotNull] = Field(
        default=None, min_length=1, max_length=20
    )
    repeat: Annotated[int | None, NotNull] = Field(default=None, ge=0, le=MAX_REPEAT)
    ack_timeout_minutes: AckTimeout = Field(default=None, description="null: the default")
    description: Annotated[str | None, NotNull] = Field(default=None, max_length=2000)


class PolicyOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    team: str | None
    steps: list[dict[str, Any]]
    repeat: int
    ack_timeout_minutes: int | None

    @classmethod
    def of(cls, row: EscalationPolicy) -> PolicyOut:
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            team=row.team.slug if row.team else None,
            steps=row.steps,
            repeat=row.repeat,
            ack_timeout_minutes=row.ack_timeout_minutes,
        )


@router.get("/escalation-policies", response_model=list[PolicyOut])
def list_policies(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[PolicyOut]:
    rows = session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name))
    return [PolicyOut.of(row) for row in rows]


@router.post("/escalation-policies", response_model=PolicyOut, status_code=201)
def create_policy(
    body: PolicyIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> PolicyOut:
    row = policies.create_policy(session, actor=principal.actor, now=now, **body.model_dump())
    session.commit()
    return PolicyOut.of(row)


@router.get("/escalation-policies/{ref}", response_model=PolicyOut)
def get_policy(
    ref: str, _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> PolicyOut:
    return PolicyOut.of(policies.find_policy(session, ref))


@router.patch("/escalation-policies/{ref}", response_model=PolicyOut)
def update_policy(
    ref: str,
    body: PolicyPatch,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> PolicyOut:
    row = policies.find_policy(session, ref)
    policies.update_policy(
        session,
        actor=principal.actor,
        now=now,
        policy=row,
        changes=body.model_dump(exclude_unset=True),
    )
    session.commit()
    return PolicyOut.of(row)


class ServicePolicyIn(Strict):
    escalation_policy: str | None


@router.put("/services/{ref}/escalation-policy", status_code=204)
def set_service_policy(
    ref: str,
    body: ServicePolicyIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    service = find_service(session, ref)
    policies.set_service_policy(
        session, actor=principal.actor, now=now, service=service, policy=body.escalation_policy
    )
    session.commit()


# --- pages --------------------------------------------------------------------


class PageOut(BaseModel):
    id: int
    subject_type: str
    subject_id: int
    title: str
    urgency: str
    status: str
    policy: str | None
    step: int
    loop: int
    started_at: datetime
    next_step_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, row: Page) -> PageOut:
        return cls(
            id=row.id,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            title=row.title,
            urgency=row.urgency,
            status=row.status,
            policy=row.policy.get("slug"),
            step=row.step,
            loop=row.loop,
            started_at=row.started_at,
            next_step_at=row.next_step_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
        )


@router.get("/pages", response_model=list[PageOut])
def list_pages(
    status: str | None = Query(default=None, pattern="^(active|acknowledged|resolved)$"),
    limit: int = Query(default=100, ge=1, le=1000),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[PageOut]:
    query = select(Page).where(visible_pages(principal)).order_by(Page.id.desc()).limit(limit)
    if status:
        query = query.where(Page.status == status)
    return [PageOut.of(row) for row in session.scalars(query)]


def find_page(session: Session, page_id: int, principal: Principal) -> Page:
    page = session.scalar(select(Page).where(Page.id == page_id, visible_pages(principal)))
    if page is None:
        raise NotFound(f"no page {page_id}", field="page")
    return page


class ReassignIn(Strict):
    users: list[str] = Field(min_length=1, max_length=20, description="ids or e-mail addresses")


@router.post("/pages/{page_id}/reassign", response_model=PageOut)
def reassign_page(
    page_id: RowId,
    body: ReassignIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> PageOut:
    """Page these people now, and at every later step, instead of the policy's."""
    page = find_page(session, page_id, principal)
    people = [_user_field(session, ref, f"users[{n}]") for n, ref in enumerate(body.users)]
    paging.reassign(session, page, people, principal, now)
    session.commit()
    return PageOut.of(page)


def _user_field(session: Session, ref: str, field: str) -> User:
    try:
        return find_user(session, ref)
    except NotFound as exc:
        raise InvalidInput(exc.message, field=field) from None


@router.post("/pages/{page_id}/{action}", response_model=PageOut)
def act_on_page(
    page_id: RowId,
    action: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> PageOut:
    """acknowledge, resolve or escalate the page's alert group or incident."""
    page = find_page(session, page_id, principal)
    paging.act(session, page, action, principal, now)
    session.commit()
    return PageOut.of(page)
