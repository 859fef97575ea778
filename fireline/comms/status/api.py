"""JSON API for managing the status page (/api/v1/status/...), and for
publishing an internal incident's public update
(/api/v1/incidents/{ref}/public-updates).

Reading needs a viewer. Posting incidents, updates, maintenance and component
statuses needs a responder: they are the people fighting the fire. Shaping the
page itself (its look, groups, components, templates) needs a manager.
Objects are named by their public ``code``, the id status consumers see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fireline.comms.status import components, service
from fireline.comms.status.models import CLOSED_STATUSES, Component, ComponentGroup, PublicIncident
from fireline.core import strict
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_manager,
    require_responder,
    require_viewer,
)
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.incidents import queries
from fireline.incidents.models import REF_PREFIX

# No prefix on the router: the publish route lives under /api/v1/incidents,
# and one router keeps the whole feature wired by a single include.
router = APIRouter(tags=["status page"])
PREFIX = "/api/v1/status"
TEXT = 20_000
MAX_COMPONENTS = 200

Viewer = Annotated[Principal, Depends(require_viewer)]
Responder = Annotated[Principal, Depends(require_responder)]
Manager = Annotated[Principal, Depends(require_manager)]
Db = Annotated[Session, Depends(get_session)]
Now = Annotated[datetime, Depends(get_now)]


class Strict(strict.Strict):
    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # PostgreSQL refuses NUL in text; say which field, rather than the
        # database's anonymous refusal.
        texts = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        if not isinstance(texts, list):
            texts = [texts]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("NUL characters cannot be stored")
        return value


class Out(BaseModel):
    """A response read straight from a row; ``id`` is the row's public code."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, row: object) -> Self:
        return cls.model_validate(row)


Code = Annotated[str, Field(validation_alias="code")]
Codes = Annotated[list[str], BeforeValidator(lambda rows: [r.code for r in rows])]
Slugs = Annotated[list[str], BeforeValidator(lambda rows: [r.slug for r in rows])]
IncidentRef = Annotated[
    str | None, BeforeValidator(lambda row_id: f"{REF_PREFIX}{row_id}" if row_id else None)
]


def _ref(ref: str) -> str:
    """A path reference the lookups can take: digits that are no row id
    (too large, or not ASCII) would overflow or confuse the database."""
    text = ref.strip()
    if text.isdigit() and as_row_id(text) is None:
        raise NotFound(f"nothing is called {text!r}")
    return text


def _component_refs(refs: Iterable[str]) -> None:
    """The same guard for component references in a body, named as its field."""
    for ref in refs:
        if ref.strip().isdigit() and as_row_id(ref.strip()) is None:
            raise InvalidInput(f"no component {ref!r}", field="components")


# --- the page ------------------------------------------------------------------------


class PageOut(Out):
    id: Code
    name: str
    logo_url: str
    brand_color: str
    time_zone: str
    support_url: str
    updated_at: datetime


class PagePatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    logo_url: str | None = Field(default=None, max_length=2000)
    brand_color: str | None = Field(default=None, max_length=7, description="e.g. #1f6feb")
    time_zone: str | None = Field(default=None, max_length=64, description="e.g. Europe/Berlin")
    support_url: str | None = Field(default=None, max_length=2000)


@router.get(f"{PREFIX}/page", response_model=PageOut)
def get_page(principal: Viewer, session: Db, now: Now) -> PageOut:
    page = components.page_settings(session, now)
    # The first read makes the row with its defaults; keep it, so page.id stays put.
    session.commit()
    return PageOut.of(page)


@router.patch(f"{PREFIX}/page", response_model=PageOut)
def update_page(body: PagePatch, principal: Manager, session: Db, now: Now) -> PageOut:
    page = components.update_page_settings(session, principal, now, **body.model_dump())
    session.commit()
    return PageOut.of(page)


# --- component groups ----------------------------------------------------------------


class GroupIn(Strict):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)


class GroupPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    position: int | None = Field(default=None, ge=0, le=10_000)


class GroupOut(Out):
    id: Code
    name: str
    description: str
    position: int
    components: Codes = Field(description="the codes of its components, in order")
    created_at: datetime
    updated_at: datetime


@router.get(f"{PREFIX}/groups", response_model=list[GroupOut])
def list_groups(principal: Viewer, session: Db) -> list[GroupOut]:
    query = select(ComponentGroup).options(selectinload(ComponentGroup.components))
    groups = session.scalars(query.order_by(ComponentGroup.position, ComponentGroup.id))
    return [GroupOut.of(g) for g in groups]


@router.post(f"{PREFIX}/groups", response_model=GroupOut, status_code=201)
def create_group(body: GroupIn, principal: Manager, session: Db, now: Now) -> GroupOut:
    group = components.create_group(session, principal, now, **body.model_dump())
    session.commit()
    return GroupOut.of(group)


@router.patch(f"{PREFIX}/groups/{{ref}}", response_model=GroupOut)
def update_group(ref: str, body: GroupPatch, principal: Manager, session: Db, now: Now) -> GroupOut:
    group = components.find_group(session, _ref(ref))
    components.update_group(session, principal, now, group, **body.model_dump(exclude_none=True))
    session.commit()
    return GroupOut.of(group)


# --- components ----------------------------------------------------------------------


class ComponentIn(Strict):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    group: str | None = Field(default=None, max_length=200, description="group code or name")
    services: list[str] = Field(default_factory=list, max_length=50, description="service slugs")
    only_show_if_degraded: bool = False


class ComponentPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    group: str | None = Field(default=None, max_length=200, description="null or '' for none")
    services: list[str] | None = Field(default=None, max_length=50)
    only_show_if_degraded: bool | None = None


class ComponentStatusIn(Strict):
    status: str = Field(max_length=32, description="operational, degraded_performance, …")


class GroupRef(Out):
    id: Code
    name: str


class ComponentOut(Out):
    id: Code
    name: str
    description: str
    status: str
    group: GroupRef | None
    services: Slugs
    only_show_if_degraded: bool
    position: int
    created_at: datetime
    updated_at: datetime


@router.get(f"{PREFIX}/components", response_model=list[ComponentOut])
def list_components(principal: Viewer, session: Db) -> list[ComponentOut]:
    query = select(Component).options(
        selectinload(Component.group), selectinload(Component.services)
    )
    components = session.scalars(query.order_by(Component.position, Component.id))
    return [ComponentOut.of(c) for c in components]


@router.post(f"{PREFIX}/components", response_model=ComponentOut, status_code=201)
def create_component(body: ComponentIn, principal: Manager, session: Db, now: Now) -> ComponentOut:
    component = components.create_component(session, principal, now, **body.model_dump())
    session.commit()
    return ComponentOut.of(component)


@router.get(f"{PREFIX}/components/{{ref}}", response_model=ComponentOut)
def get_component(ref: str, principal: Viewer, session: Db) -> ComponentOut:
    return ComponentOut.of(components.find_component(session, _ref(ref)))


@router.patch(f"{PREFIX}/components/{{ref}}", response_model=ComponentOut)
def update_component(
    ref: str, body: ComponentPatch, principal: Manager, session: Db, now: Now
) -> ComponentOut:
    component = components.find_component(session, _ref(ref))
    changes = body.model_dump(exclude_none=True)
    # An explicit null takes the component out of its group, as "" does.
    if "group" in body.model_fields_set and body.group is None:
        changes["group"] = ""
    components.update_component(session, principal, now, component, **changes)
    session.commit()
    return ComponentOut.of(component)


@router.put(f"{PREFIX}/components/{{ref}}/status", response_model=ComponentOut)
def set_component_status(
    ref: str, body: ComponentStatusIn, principal: Responder, session: Db, now: Now
) -> ComponentOut:
    component = components.find_component(session, _ref(ref))
    components.set_component_status(session, principal, now, component, body.status)
    session.commit()
    return ComponentOut.of(component)


# --- public incidents and maintenance ------------------------------------------------

Statuses = Annotated[
    dict[str, str],
    Field(max_length=MAX_COMPONENTS, description="component code or name → its new status"),
]


class IncidentIn(Strict):
    name: str = Field(max_length=300)
    body: str = Field(max_length=TEXT)
    status: str = Field(default="investigating", max_length=32)
    impact: str = Field(default="minor", max_length=16, description="none, minor, major, …")
    components: Statuses = Field(default_factory=dict)
    notify: bool = True


class UpdateIn(Strict):
    body: str = Field(max_length=TEXT)
    status: str | None = Field(default=None, max_length=32, description="default: unchanged")
    components: Statuses = Field(default_factory=dict)
    notify: bool = True


class PublishIn(UpdateIn):
    name: str | None = Field(default=None, max_length=300, description="default: its title")
    impact: str | None = Field(default=None, max_length=16)


class MaintenanceIn(Strict):
    name: str = Field(max_length=300)
    body: str = Field(max_length=TEXT)
    scheduled_for: AwareDatetime
    scheduled_until: AwareDatetime
    components: list[str] = Field(default_factory=list, max_length=MAX_COMPONENTS)
    notify: bool = True


class ComponentBrief(Out):
    id: Code
    name: str
    status: str


class UpdateOut(Out):
    id: Code
    status: str
    body: str
    affected_components: list[dict[str, str]]
    notify_subscribers: bool
    at: datetime


class IncidentOut(Out):
    id: Code
    kind: str = Field(description="incident or maintenance")
    name: str
    status: str
    impact: str
    incident: IncidentRef = Field(
        validation_alias="incident_id", description="the internal incident it was published from"
    )
    components: list[ComponentBrief]
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class IncidentDetailOut(IncidentOut):
    updates: list[UpdateOut] = Field(description="newest first")


def _detail(session: Session, public: PublicIncident) -> IncidentDetailOut:
    # Sessions keep objects after commit; reload the lists this request changed.
    session.expire(public, ["updates", "components"])
    return IncidentDetailOut.of(public)


def _status_or_current(public: PublicIncident | None, status: str | None) -> str:
    """An update that names no status keeps the incident's; a new one investigates."""
    if status:
        return status
    return public.status if public is not None and public.is_open else "investigating"


@router.get(f"{PREFIX}/incidents", response_model=list[IncidentOut])
def list_incidents(
    principal: Viewer,
    session: Db,
    open: bool | None = Query(default=None, description="only open (true) or closed (false)"),
    kind: Literal["incident", "maintenance"] | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[IncidentOut]:
    query = select(PublicIncident).options(selectinload(PublicIncident.components))
    if open is not None:
        closed = PublicIncident.status.in_(CLOSED_STATUSES)
        query = query.where(~closed if open else closed)
    if kind is not None:
        query = query.where(PublicIncident.kind == kind)
    query = query.order_by(PublicIncident.created_at.desc(), PublicIncident.id.desc())
    return [IncidentOut.of(p) for p in session.scalars(query.limit(limit))]


@router.post(f"{PREFIX}/incidents", response_model=IncidentDetailOut, status_code=201)
def open_incident(
    body: IncidentIn, principal: Responder, session: Db, now: Now
) -> IncidentDetailOut:
    _component_refs(body.components)
    public = service.open_incident(session, principal, now, **body.model_dump())
    session.commit()
    return _detail(session, public)


@router.get(f"{PREFIX}/incidents/{{code}}", response_model=IncidentDetailOut)
def get_incident(code: str, principal: Viewer, session: Db) -> IncidentDetailOut:
    return IncidentDetailOut.of(service.find_public_incident(session, _ref(code)))


@router.post(
    f"{PREFIX}/incidents/{{code}}/updates", response_model=IncidentDetailOut, status_code=201
)
def post_update(
    code: str, body: UpdateIn, principal: Responder, session: Db, now: Now
) -> IncidentDetailOut:
    """An update on a public incident or a maintenance; resolving (or
    completing) returns its components to operational."""
    public = service.find_public_incident(session, _ref(code))
    _component_refs(body.components)
    fields = {**body.model_dump(), "status": _status_or_current(public, body.status)}
    service.post_update(session, principal, now, public, **fields)
    session.commit()
    return _detail(session, public)


@router.post(f"{PREFIX}/maintenances", response_model=IncidentDetailOut, status_code=201)
def schedule_maintenance(
    body: MaintenanceIn, principal: Responder, session: Db, now: Now
) -> IncidentDetailOut:
    _component_refs(body.components)
    fields = body.model_dump()
    for field in ("scheduled_for", "scheduled_until"):
        fields[field] = fields[field].astimezone(UTC)  # Strict refused one without a UTC
    maintenance = service.schedule_maintenance(session, principal, now, **fields)
    session.commit()
    return _detail(session, maintenance)


@router.post(
    "/api/v1/incidents/{ref}/public-updates",
    response_model=IncidentDetailOut,
    status_code=201,
    summary="Post a public update from an incident",
)
def publish_from_incident(
    ref: str, body: PublishIn, principal: Responder, session: Db, now: Now
) -> IncidentDetailOut:
    """Set component statuses and post the public words in one step, on the
    incident's public incident (opened by the first update)."""
    # The same 404 for a restricted incident as for a missing one.
    incident = queries.get_visible(session, principal, ref)
    _component_refs(body.components)
    current = service.public_incident_of(session, incident)
    fields = {**body.model_dump(), "status": _status_or_current(current, body.status)}
    update = service.publish_from_incident(session, principal, now, incident, **fields)
    session.commit()
    return _detail(session, update.incident)


# --- templates -----------------------------------------------------------------------


class TemplateIn(Strict):
    name: str = Field(max_length=200)
    body: str = Field(max_length=TEXT)
    title: str = Field(default="", max_length=300)
    status: str = Field(default="investigating", max_length=32)


class TemplateOut(Out):
    id: int
    name: str
    status: str
    title: str
    body: str
    created_at: datetime


@router.get(f"{PREFIX}/templates", response_model=list[TemplateOut])
def list_templates(principal: Viewer, session: Db) -> list[TemplateOut]:
    return [TemplateOut.of(t) for t in service.templates(session)]


@router.post(f"{PREFIX}/templates", response_model=TemplateOut, status_code=201)
def create_template(body: TemplateIn, principal: Manager, session: Db, now: Now) -> TemplateOut:
    template = service.create_template(session, principal, now, **body.model_dump())
    session.commit()
    return TemplateOut.of(template)
