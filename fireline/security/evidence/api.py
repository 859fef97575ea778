"""JSON API for evidence: register (upload or describe), read, download,
custody, reports, and verifying the stored bytes.

Only admins and the incident's people who hold a security role may see
items; everyone else who may see the incident gets the count. Every read of
an item, a list or a file is in the audit chain.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.deps import (
    Principal,
    get_clock,
    get_now,
    get_session,
    get_settings_dep,
    require_responder,
    require_viewer,
)
from fireline.core.errors import AppError, NotFound
from fireline.core.strict import Moment, Strict
from fireline.incidents import queries as incident_queries
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security import access
from fireline.security.evidence import checks, queries, report, service
from fireline.security.evidence.metadata import Details, safe_file_name
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.store import EvidenceStore
from fireline.security.evidence.streaming import (
    check_room,
    declared_length,
    download_response,
    receive_into,
)

router = APIRouter(prefix="/api/v1", tags=["evidence"])


def get_store(settings: Settings = Depends(get_settings_dep)) -> EvidenceStore:
    return EvidenceStore(settings.evidence_dir)


class SourceIn(Strict):
    host: str = Field(default="", max_length=255)
    serial: str = Field(default="", max_length=255)
    account: str = Field(default="", max_length=320)
    cloud: str = Field(default="", max_length=1000, description="a cloud resource: ARN, id, URL")


class HashesIn(Strict):
    sha256: str | None = Field(default=None, max_length=64)
    sha1: str | None = Field(default=None, max_length=40)
    md5: str | None = Field(default=None, max_length=32)


class ExternalIn(Strict):
    type: str = Field(max_length=64, description="disk image, laptop, mobile phone, …")
    description: str = Field(max_length=20_000, description="what it is, how to recognise it")
    label: str = Field(default="", max_length=64, description="short, per incident; default E<n>")
    source: SourceIn = Field(default_factory=SourceIn)
    collected_by: str = Field(default="", max_length=200, description="default: you")
    collected_at: datetime | None = Field(default=None, description="default: now")
    collected_tz: str = Field(
        default="", max_length=64, description="the collector's zone (Europe/Berlin, UTC+02:00)"
    )
    tool: str = Field(default="", max_length=200)
    tool_version: str = Field(default="", max_length=100)
    storage_location: str = Field(default="", max_length=500)
    legal_hold: bool = False
    retain_until: date | None = None
    hashes: HashesIn = Field(
        default_factory=HashesIn, description="hashes the collector measured, if any"
    )


class CustodyIn(Strict):
    kind: str = Field(
        max_length=16,
        description="transferred, checked_out, checked_in, copied, analysed, returned, destroyed",
    )
    by: str = Field(default="", max_length=200, description="who did it; default: you")
    to: str = Field(default="", max_length=200, description="the new custodian, or the owner")
    location: str = Field(default="", max_length=500)
    purpose: str = Field(default="", max_length=5000)
    occurred_at: datetime | None = Field(default=None, description="default: now")
    sha256: str | None = Field(
        default=None,
        max_length=64,
        description="external items: the SHA-256 you measured (an upload's is recomputed)",
    )


def _json(payload: Any, status: int = 200) -> Response:
    return JSONResponse(to_jsonable_python(payload), status_code=status)


@router.get(
    "/incidents/{ref}/evidence",
    summary="List an incident's evidence (others see only how many items there are)",
)
def list_evidence(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = incident_queries.get_visible(session, principal, ref)
    if not access.may_handle_security(plan, principal, incident):
        return _json(
            {
                "incident": incident.ref,
                "count": queries.count_of(session, incident),
                "visible": False,
                "who_may_see": queries.who_may_see(plan, incident),
                "items": None,
            }
        )
    items = queries.items_of(session, incident)
    service.record_list(session, principal, now, incident, len(items), via="api")
    session.commit()
    return _json(
        {
            "incident": incident.ref,
            "count": len(items),
            "visible": True,
            "who_may_see": queries.who_may_see(plan, incident),
            "items": [queries.item_document(i, incident.ref) for i in items],
        }
    )


@router.post("/incidents/{ref}/evidence", status_code=201, summary="Register an external item")
def register_external(
    ref: str,
    body: ExternalIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = access.get_for_security(session, plan, principal, ref)
    details = Details(
        item_type=body.type,
        description=body.description,
        label=body.label,
        source_host=body.source.host,
        source_serial=body.source.serial,
        source_account=body.source.account,
        source_cloud=body.source.cloud,
        collected_by=body.collected_by,
        collected_at=body.collected_at,
        collected_tz=body.collected_tz,
        tool=body.tool,
        tool_version=body.tool_version,
        storage_location=body.storage_location,
        legal_hold=body.legal_hold,
        retain_until=body.retain_until,
        sha256=body.hashes.sha256,
        sha1=body.hashes.sha1,
        md5=body.hashes.md5,
    )
    item = service.register(session, principal, now, incident, details)
    session.commit()
    return _json(queries.item_document(item, incident.ref), 201)


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file's bytes as the body (not multipart); metadata in the query",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/incidents/{ref}/evidence/upload",
    status_code=201,
    summary="Upload a file as evidence (the raw body, hashed as it streams)",
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    ref: str,
    type_: str = Query(alias="type", max_length=64),
    filename: str = Query(default="", max_length=1000),
    label: str = Query(default="", max_length=64),
    description: str = Query(default="", max_length=20_000),
    source_host: str = Query(default="", max_length=255),
    source_serial: str = Query(default="", max_length=255),
    source_account: str = Query(default="", max_length=320),
    source_cloud: str = Query(default="", max_length=1000),
    collected_by: str = Query(default="", max_length=200),
    collected_at: Moment | None = None,
    collected_tz: str = Query(default="", max_length=64),
    tool: str = Query(default="", max_length=200),
    tool_version: str = Query(default="", max_length=100),
    storage_location: str = Query(default="", max_length=500),
    legal_hold: bool = False,
    retain_until: date | None = None,
    sha1: bool = Query(default=False, description="also compute SHA-1"),
    md5: bool = Query(default=False, description="also compute MD5"),
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    incident = access.get_for_security(session, plan, principal, ref)
    details = Details(
        item_type=type_,
        description=description,
        label=label,
        source_host=source_host,
        source_serial=source_serial,
        source_account=source_account,
        source_cloud=source_cloud,
        collected_by=collected_by,
        collected_at=collected_at,
        collected_tz=collected_tz,
        tool=tool,
        tool_version=tool_version,
        storage_location=storage_location,
        legal_hold=legal_hold,
        retain_until=retain_until,
        file_name=safe_file_name(filename) if filename else "",
        content_type=request.headers.get("content-type", "")[:255],
    )
    # Everything that can be refused is refused before the first byte is read,
    # and no transaction stays open while the bytes stream in.
    service.precheck(session, principal, clock.now(), incident, details, origin="upload")
    check_room(settings.evidence_dir, declared_length(request), settings.evidence_max_bytes)
    session.commit()
    extra = tuple(name for name, wanted in (("sha1", sha1), ("md5", md5)) if wanted)
    try:
        stored = await receive_into(store, request, settings.evidence_max_bytes, extra)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; nothing was kept
    incident = incident_queries.get_visible(session, principal, ref)
    item = service.register(session, principal, clock.now(), incident, details, stored=stored)
    session.commit()
    return _json(queries.item_document(item, incident.ref), 201)


def _item(
    session: Session, plan: Plan, principal: Principal, ref: str, item_ref: str
) -> tuple[Incident, EvidenceItem]:
    incident = access.get_for_security(session, plan, principal, ref)
    return incident, queries.find_item(session, incident, item_ref)


@router.get("/incidents/{ref}/evidence/report.json", summary="The evidence report, as JSON")
def report_json(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    return _report(session, store, plan, principal, clock, ref, "json")


@router.get("/incidents/{ref}/evidence/report.pdf", summary="The evidence report, as PDF")
def report_pdf(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    return _report(session, store, plan, principal, clock, ref, "pdf")


# The report's media type and how it is offered, by format.
REPORT_FORMATS = {"json": ("application/json", "inline"), "pdf": ("application/pdf", "attachment")}


def _report(
    session: Session,
    store: EvidenceStore,
    plan: Plan,
    principal: Principal,
    clock: Clock,
    ref: str,
    fmt: str,
) -> Response:
    incident = access.get_for_security(session, plan, principal, ref)
    content = report.generate(session, store, plan, principal, clock, incident, fmt, via="api")
    media_type, disposition = REPORT_FORMATS[fmt]
    filename = f"{incident.ref}-evidence.{fmt}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@router.get(
    "/incidents/{ref}/evidence/{item_ref}", summary="One evidence item, with its custody trail"
)
def get_item(
    ref: str,
    item_ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident, item = _item(session, plan, principal, ref, item_ref)
    service.record_view(session, principal, now, item, via="api")
    session.commit()
    return _json(queries.item_document(item, incident.ref))


@router.get(
    "/incidents/{ref}/evidence/{item_ref}/download",
    summary="Download an uploaded item (refused when its bytes changed)",
    response_class=StreamingResponse,
)
def download(
    request: Request,
    ref: str,
    item_ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    _incident, item = _item(session, plan, principal, ref, item_ref)
    on_tampered = checks.record_tampered_in(request.app.state.db.session, principal, clock)
    chunks = checks.open_download(
        session, store, principal, clock, item, via="api", on_tampered=on_tampered
    )
    return download_response(item, chunks)


@router.get("/incidents/{ref}/evidence/{item_ref}/custody", summary="An item's custody trail")
def list_custody(
    ref: str,
    item_ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    _incident, item = _item(session, plan, principal, ref, item_ref)
    service.record_view(session, principal, now, item, via="api custody")
    session.commit()
    return _json([queries.describe_custody(r) for r in item.custody])


@router.post(
    "/incidents/{ref}/evidence/{item_ref}/custody",
    status_code=201,
    summary="Add a custody event (an upload's bytes are hashed again for it)",
)
def add_custody(
    ref: str,
    item_ref: str,
    body: CustodyIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    _incident, item = _item(session, plan, principal, ref, item_ref)
    measured = checks.measured_for_custody(session, store, item)
    incident = access.get_for_security(session, plan, principal, ref)
    item = queries.find_item(session, incident, item_ref, for_update=True)
    entry = service.CustodyInput(**body.model_dump())
    record = service.add_custody(session, principal, clock.now(), incident, item, entry, measured)
    session.commit()
    return _json(queries.describe_custody(record), 201)


@router.get("/evidence/verify", summary="Hash every evidence file you may see again")
def verify(
    incident_ref: str | None = Query(default=None, alias="incident", max_length=32),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    incident = (
        access.get_for_security(session, plan, principal, incident_ref) if incident_ref else None
    )
    results = checks.verify(session, store, plan, principal, clock, incident)
    failed = [r for r in results if r.problem]
    return _json(
        {
            "incident": incident.ref if incident else None,
            "checked": sum(1 for r in results if r.status != "not_held"),
            "external": sum(1 for r in results if r.status == "not_held"),
            "failed": len(failed),
            "ok": not failed,
            "items": [r.as_json() for r in results],
        }
    )


@router.get("/evidence/{item_ref}", summary="One evidence item by its global ref (EV-12)")
def get_by_ref(
    item_ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    item = queries.find_by_ref(session, item_ref)
    try:
        incident = access.get_for_security(session, plan, principal, f"INC-{item.incident_id}")
    except AppError:
        # Whoever may not handle it learns nothing, not even that it exists.
        raise NotFound(f"no evidence item {item_ref}") from None
    service.record_view(session, principal, now, item, via="api")
    session.commit()
    return _json(queries.item_document(item, incident.ref))
