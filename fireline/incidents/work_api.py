"""JSON API for tasks, action items and links between incidents."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.incidents import queries, work
from fireline.incidents.api import get_plan
from fireline.incidents.models import ActionItem, Incident, Task
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1", tags=["incident work"])


class TaskIn(Strict):
    title: str = Field(max_length=300)
    assignee: str | None = Field(default=None, max_length=320)
    due_at: datetime | None = None
    role: str | None = Field(default=None, max_length=64, description="plan role owning it")


class TaskPatch(Strict):
    title: str | None = Field(default=None, max_length=300)
    status: str | None = Field(default=None, max_length=16)
    assignee: str | None = Field(default=None, max_length=320)


class TaskOut(BaseModel):
    id: int
    title: str
    status: str
    assignee_id: int | None
    role: str | None = Field(validation_alias="role_key")
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls.model_validate(task, from_attributes=True)


class ActionItemIn(Strict):
    title: str = Field(max_length=300)
    owner: str | None = Field(default=None, max_length=320)
    due_date: date | None = None
    priority: str = Field(default="medium", max_length=16)
    ticket_url: str = Field(default="", max_length=2000)


class ActionItemPatch(Strict):
    title: str | None = Field(default=None, max_length=300)
    status: str | None = Field(default=None, max_length=16)
    owner: str | None = Field(default=None, max_length=320, description='"" for nobody')
    due_date: date | None = Field(default=None, description="null clears it")
    priority: str | None = Field(default=None, max_length=16)
    ticket_url: str | None = Field(default=None, max_length=2000)


class ActionItemOut(BaseModel):
    id: int
    incident_id: int
    title: str
    status: str
    priority: str
    owner_id: int | None
    due_date: date | None
    ticket_url: str
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, item: ActionItem) -> ActionItemOut:
        return cls.model_validate(item, from_attributes=True)


class LinkIn(Strict):
    incident: str = Field(max_length=32, description="the other incident, e.g. INC-7")


class MergeIn(Strict):
    into: str = Field(max_length=32, description="the incident that survives")


class LinksOut(BaseModel):
    related: list[str]
    parent: str | None
    children: list[str]
    merged_into: str | None
    merged_here: list[str]


@router.get("/incidents/{ref}/tasks", response_model=list[TaskOut])
def list_tasks(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[TaskOut]:
    return [
        TaskOut.of(t) for t in work.tasks(session, queries.get_visible(session, principal, ref))
    ]


@router.post("/incidents/{ref}/tasks", response_model=TaskOut, status_code=201)
def add_task(
    ref: str,
    body: TaskIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> TaskOut:
    incident = queries.get_visible(session, principal, ref)
    role = work.task_role(plan, body.role)
    task = work.add_task(
        session,
        principal,
        now,
        incident,
        title=body.title,
        assignee=body.assignee,
        due_at=body.due_at,
        role=role,
    )
    session.commit()
    return TaskOut.of(task)


@router.patch("/incidents/{ref}/tasks/{task_id}", response_model=TaskOut)
def update_task(
    ref: str,
    task_id: RowId,
    body: TaskPatch,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TaskOut:
    incident = queries.get_visible(session, principal, ref)
    task = work.update_task(
        session, principal, now, incident, task_id, **body.model_dump(exclude_unset=True)
    )
    session.commit()
    return TaskOut.of(task)


@router.get("/incidents/{ref}/action-items", response_model=list[ActionItemOut])
def list_action_items(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[ActionItemOut]:
    return [
        ActionItemOut.of(i)
        for i in work.action_items(session, queries.get_visible(session, principal, ref))
    ]


@router.post("/incidents/{ref}/action-items", response_model=ActionItemOut, status_code=201)
def add_action_item(
    ref: str,
    body: ActionItemIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ActionItemOut:
    incident = queries.get_visible(session, principal, ref)
    item = work.add_action_item(session, principal, now, incident, **body.model_dump())
    session.commit()
    return ActionItemOut.of(item)


@router.patch("/incidents/{ref}/action-items/{item_id}", response_model=ActionItemOut)
def update_action_item(
    ref: str,
    item_id: RowId,
    body: ActionItemPatch,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ActionItemOut:
    incident = queries.get_visible(session, principal, ref)
    item = work.update_action_item(
        session, principal, now, incident, item_id, **body.model_dump(exclude_unset=True)
    )
    session.commit()
    return ActionItemOut.of(item)


def _links(session: Session, principal: Principal, incident: Incident) -> LinksOut:
    """Only links to incidents the caller may see are shown."""

    def visible_refs(ids: list[int]) -> list[str]:
        if not ids:
            return []
        query = (
            select(Incident)
            .where(Incident.id.in_(ids), queries.visible_to(principal))
            .order_by(Incident.id)
        )
        return [i.ref for i in session.scalars(query)]

    merged_here = list(
        session.scalars(select(Incident.id).where(Incident.merged_into_id == incident.id))
    )
    parent = visible_refs([incident.parent_id] if incident.parent_id else [])
    merged_into = visible_refs([incident.merged_into_id] if incident.merged_into_id else [])
    return LinksOut(
        related=visible_refs(work.related(session, incident)),
        parent=parent[0] if parent else None,
        children=visible_refs([c.id for c in work.children(session, incident)]),
        merged_into=merged_into[0] if merged_into else None,
        merged_here=visible_refs(merged_here),
    )


@router.get("/incidents/{ref}/links", response_model=LinksOut)
def get_links(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> LinksOut:
    return _links(session, principal, queries.get_visible(session, principal, ref))


@router.post("/incidents/{ref}/related", response_model=LinksOut, status_code=201)
def relate(
    ref: str,
    body: LinkIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> LinksOut:
    incident = queries.get_visible(session, principal, ref)
    work.relate(
        session, principal, now, incident, queries.get_visible(session, principal, body.incident)
    )
    session.commit()
    return _links(session, principal, incident)


@router.post("/incidents/{ref}/parent", response_model=LinksOut)
def set_parent(
    ref: str,
    body: LinkIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> LinksOut:
    incident = queries.get_visible(session, principal, ref)
    work.set_parent(
        session, principal, now, incident, queries.get_visible(session, principal, body.incident)
    )
    session.commit()
    return _links(session, principal, incident)


@router.post("/incidents/{ref}/merge", response_model=LinksOut)
def merge(
    ref: str,
    body: MergeIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> LinksOut:
    duplicate = queries.get_visible(session, principal, ref)
    work.merge(
        session, principal, now, duplicate, queries.get_visible(session, principal, body.into)
    )
    session.commit()
    return _links(session, principal, duplicate)
