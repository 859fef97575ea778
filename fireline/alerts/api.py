"""JSON API for integrations, alert groups and change events; routing rules,
silences and maintenance windows are in ``routing_api``. Ingestion itself is
in ``ingest``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fireline.alerts import changes as change_events
from fireline.alerts import queries, routing_api, service
from fireline.alerts.manual import send_as_person
from fireline.alerts.models import (
    Alert,
    AlertGroup,
    AlertGroupEvent,
    ChangeEvent,
    Integration,
)
from fireline.alerts.snippets import ingestion_url, setup_snippet
from fireline.alerts.sources import generic
from fireline.catalog.service import find_service
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_manager,
    require_responder,
    require_viewer,
)
from fireline.core.ids import MAX_ID, RowId
from fireline.core.strict import Strict

router = APIRouter(prefix="/api/v1", tags=["alerts"])
router.include_router(routing_api.router)


# --- integrations ------------------------------------------------------------------


class IntegrationOut(BaseModel):
    id: int
    service: str
    kind: str
    name: str
    key_hint: str
    url: str
    group_by: list[str]
    mapping: dict[str, Any]
    auto_resolve_minutes: int | None
    rate_limit_per_minute: int
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: Integration, base_url: str) -> IntegrationOut:
        return cls(
            id=row.id,
            service=row.service.slug,
            kind=row.kind,
            name=row.name,
            key_hint="…" + row.key_hint,
            url=ingestion_url(base_url, row.kind, "<key>"),
            group_by=list(row.group_by or []),
            mapping=dict(row.mapping or {}),
            auto_resolve_minutes=row.auto_resolve_minutes,
            rate_limit_per_minute=row.rate_limit_per_minute,
            created_at=row.created_at,
            rotated_at=row.rotated_at,
            revoked_at=row.revoked_at,
        )


class IntegrationCreated(IntegrationOut):
    key: str = Field(description="Shown once: store it in the sending system")
    ingestion_url: str
    snippet: str


# What the service checks too, stated here so that the API's description says it.
QuietMinutes = Annotated[int | None, Field(ge=1, le=service.YEAR_MINUTES)]
Rate = Annotated[int | None, Field(ge=0, le=service.MAX_RATE_PER_MINUTE)]
HeartbeatPeriod = Annotated[
    int | None, Field(ge=service.MIN_HEARTBEAT_SECONDS, le=service.YEAR_SECONDS)
]
HeartbeatGrace = Annotated[int | None, Field(ge=0, le=service.YEAR_SECONDS)]


class IntegrationIn(Strict):
    service: str
    kind: Literal["alertmanager", "grafana", "pagerduty", "generic", "heartbeat", "change"]
    name: str = Field(default="", max_length=200)
    group_by: list[str] = Field(default_factory=list, max_length=20)
    mapping: dict[str, Any] | None = None
    auto_resolve_minutes: QuietMinutes = None
    rate_limit_per_minute: Rate = None
    heartbeat_period_seconds: HeartbeatPeriod = None
    heartbeat_grace_seconds: HeartbeatGrace = None


class IntegrationPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    group_by: list[str] | None = Field(default=None, max_length=20)
    mapping: dict[str, Any] | None = None
    auto_resolve_minutes: QuietMinutes = None
    rate_limit_per_minute: Rate = None


class MappingTry(Strict):
    mapping: dict[str, Any]
    payload: Any


def base_url_of(request: Request) -> str:
    configured: str = request.app.state.settings.base_url
    return configured.rstrip("/") or str(request.base_url).rstrip("/")


def _created(request: Request, row: Integration, key: str) -> IntegrationCreated:
    base = base_url_of(request)
    return IntegrationCreated(
        **IntegrationOut.of(row, base).model_dump(),
        key=key,
        ingestion_url=ingestion_url(base, row.kind, key),
        snippet=setup_snippet(base, row.kind, key),
    )


@router.get("/integrations", response_model=list[IntegrationOut])
def list_integrations(
    request: Request,
    service_ref: str | None = Query(default=None, alias="service"),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[IntegrationOut]:
    query = select(Integration).options(joinedload(Integration.service)).order_by(Integration.id)
    if service_ref:
        query = query.where(Integration.service_id == find_service(session, service_ref).id)
    base = base_url_of(request)
    return [IntegrationOut.of(row, base) for row in session.scalars(query)]


@router.post("/integrations", response_model=IntegrationCreated, status_code=201)
def create_integration(
    request: Request,
    body: IntegrationIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> IntegrationCreated:
    row, key = service.create_integration(
        session,
        actor=principal.actor,
        now=now,
        spec=service.IntegrationSpec(**body.model_dump()),
    )
    session.commit()
    return _created(request, row, key)


@router.get("/integrations/{integration_id}", response_model=IntegrationOut)
def get_integration(
    request: Request,
    integration_id: RowId,
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> IntegrationOut:
    return IntegrationOut.of(
        service.find_integration(session, integration_id), base_url_of(request)
    )


@router.patch("/integrations/{integration_id}", response_model=IntegrationOut)
def update_integration(
    request: Request,
    integration_id: RowId,
    body: IntegrationPatch,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> IntegrationOut:
    row = service.find_integration(session, integration_id)
    service.update_integration(
        session,
        actor=principal.actor,
        now=now,
        integration=row,
        changes=body.model_dump(exclude_unset=True),
    )
    session.commit()
    return IntegrationOut.of(row, base_url_of(request))


@router.post("/integrations/{integration_id}/rotate", response_model=IntegrationCreated)
def rotate_key(
    request: Request,
    integration_id: RowId,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> IntegrationCreated:
    row = service.find_integration(session, integration_id)
    key = service.rotate_key(session, actor=principal.actor, now=now, integration=row)
    session.commit()
    return _created(request, row, key)


@router.post("/integrations/{integration_id}/revoke", response_model=IntegrationOut)
def revoke(
    request: Request,
    integration_id: RowId,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> IntegrationOut:
    row = service.find_integration(session, integration_id)
    service.revoke(session, actor=principal.actor, now=now, integration=row)
    session.commit()
    return IntegrationOut.of(row, base_url_of(request))


@router.post("/integrations/try-mapping", summary="Apply a generic mapping to a sample payload")
def try_mapping(
    body: MappingTry,
    _: Principal = Depends(require_viewer),
    now: datetime = Depends(get_now),
) -> dict[str, Any]:
    return generic.try_mapping(body.payload, body.mapping, now)


# --- alert groups --------------------------------------------------------------------


class AlertOut(BaseModel):
    id: int
    dedup_key: str
    status: str
    severity: str
    summary: str
    source: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    links: list[Any]
    silenced_by: str | None
    count: int
    starts_at: datetime
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    raw: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: Alert, with_raw: bool = False) -> AlertOut:
        return cls(
            id=row.id,
            dedup_key=row.dedup_key,
            status=row.status,
            severity=row.severity,
            summary=row.summary,
            source=row.source,
            labels=row.labels,
            annotations=row.annotations,
            links=row.links,
            silenced_by=row.silenced_by,
            count=row.count,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            raw=row.raw if with_raw else None,
        )


class GroupEventOut(BaseModel):
    at: datetime
    kind: str
    text: str
    actor: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, row: AlertGroupEvent) -> GroupEventOut:
        return cls(
            at=row.at,
            kind=row.kind,
            text=row.text,
            actor=row.actor.name if row.actor else None,
            data=row.data,
        )


class ChangeOut(BaseModel):
    id: int
    service: str
    kind: str
    summary: str
    source: str
    at: datetime
    links: list[Any]
    details: dict[str, Any]

    @classmethod
    def of(cls, row: ChangeEvent) -> ChangeOut:
        return cls(
            id=row.id,
            service=row.service.slug,
            kind=row.kind,
            summary=row.summary,
            source=row.source,
            at=row.at,
            links=row.links,
            details=row.details,
        )


class GroupOut(BaseModel):
    id: int
    ref: str
    service: str
    title: str
    status: str
    urgency: str
    severity: str
    group_key: str
    escalation_policy: str | None
    silenced_by: str | None
    flapping: bool
    alert_count: int
    active_count: int
    event_count: int
    incident: str | None
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, row: AlertGroup) -> GroupOut:
        return cls(
            id=row.id,
            ref=row.ref,
            service=row.service.slug,
            title=row.title,
            status=row.status,
            urgency=row.urgency,
            severity=row.severity,
            group_key=row.group_key,
            escalation_policy=row.escalation_policy,
            silenced_by=row.silenced_by,
            flapping=row.flapping,
            alert_count=row.alert_count,
            active_count=row.active_count,
            event_count=row.event_count,
            incident=f"INC-{row.incident_id}" if row.incident_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
        )


class GroupDetail(GroupOut):
    alerts: list[AlertOut]
    timeline: list[GroupEventOut]
    recent_changes: list[ChangeOut]


class GroupAction(Strict):
    note: str = Field(default="", max_length=2000)


class AlertSend(Strict):
    service: str
    summary: str = Field(min_length=1, max_length=1024)
    severity: Literal["critical", "error", "warning", "info"] = "warning"
    action: Literal["trigger", "acknowledge", "resolve"] = "trigger"
    dedup_key: str | None = Field(default=None, max_length=255)
    source: str = Field(default="fireline", max_length=1024)
    labels: dict[str, str] = Field(default_factory=dict)


def detail(session: Session, group: AlertGroup) -> GroupDetail:
    return GroupDetail(
        **GroupOut.of(group).model_dump(),
        alerts=[AlertOut.of(a, with_raw=True) for a in queries.group_alerts(session, group.id)],
        timeline=[GroupEventOut.of(e) for e in queries.group_events(session, group.id)],
        recent_changes=[
            ChangeOut.of(c)
            for c in change_events.recent_changes(session, [group.service_id], group.created_at)
        ],
    )


@router.get("/alert-groups", response_model=list[GroupOut])
def list_groups(
    status: str | None = Query(default=None, max_length=32),
    service_ref: str | None = Query(default=None, alias="service", max_length=200),
    limit: int = Query(default=50, ge=1, le=500),
    before: int | None = Query(default=None, ge=1, le=MAX_ID, description="a group id"),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[GroupOut]:
    flt = queries.GroupFilter(status=status, service=service_ref, limit=limit, before_id=before)
    return [GroupOut.of(g) for g in queries.list_groups(session, flt)]


@router.get("/alert-groups/{ref}", response_model=GroupDetail)
def get_group(
    ref: str, _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> GroupDetail:
    return detail(session, service.find_group(session, ref))


def _act(
    what: str,
) -> Any:
    def endpoint(
        ref: str,
        body: GroupAction | None = None,
        principal: Principal = Depends(require_responder),
        session: Session = Depends(get_session),
        now: datetime = Depends(get_now),
    ) -> GroupDetail:
        group = service.find_group(session, ref)
        note = body.note if body else ""
        if what == "acknowledge":
            service.acknowledge(session, principal, now, group)
        elif what == "resolve":
            service.resolve(session, principal, now, group, note)
        else:
            service.escalate(session, principal, now, group, note)
        session.commit()
        return detail(session, group)

    endpoint.__name__ = f"{what}_group"
    return endpoint


for _what in ("acknowledge", "resolve", "escalate"):
    router.post(
        f"/alert-groups/{{ref}}/{_what}",
        response_model=GroupDetail,
        summary=f"{_what.title()} a group",
    )(_act(_what))


@router.post("/alerts", status_code=202, summary="Send an alert to a service as a person")
async def send_alert(
    request: Request,
    body: AlertSend,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    # The caller's session was only needed to check the token; on SQLite an
    # open transaction would hold the write lock the alert's own write needs.
    session.close()
    return await send_as_person(request.app, principal, body.model_dump())


# --- change events ---------------------------------------------------------------------


@router.get("/changes", response_model=list[ChangeOut])
def list_changes(
    service_ref: str | None = Query(default=None, alias="service", max_length=200),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[ChangeOut]:
    ids = [find_service(session, service_ref).id] if service_ref else None
    rows = change_events.list_changes(session, service_ids=ids, limit=limit)
    return [ChangeOut.of(c) for c in rows]
