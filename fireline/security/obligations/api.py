"""JSON API for obligations: the catalog, open deadlines across incidents,
and each incident's obligations (attach, moments, conditions, submissions,
documents, detach). Everyone who may see an incident sees its obligations;
responders act on them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fireline.core.config import Settings
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    get_settings_dep,
    require_responder,
    require_viewer,
)
from fireline.core.errors import Conflict, NotFound, TooLarge
from fireline.incidents import queries
from fireline.incidents.api import get_plan
from fireline.plan.schema import Plan
from fireline.security.access import get_for_security
from fireline.security.evidence.store import EvidenceStore, chunks_of
from fireline.security.obligations import catalog, documents, service, summary, tracking
from fireline.security.obligations.models import IncidentObligation
from fireline.security.obligations.schemas import (
    AttachIn,
    ConditionsIn,
    DetachIn,
    DocumentOut,
    MomentIn,
    SubmissionIn,
    deadline_data,
    obligation_data,
    preset_data,
    suggestion_data,
)

router = APIRouter(prefix="/api/v1", tags=["obligations"])
KEY = Path(max_length=64, description="the obligation's key, e.g. gdpr")
IN_MEMORY = 1024 * 1024  # larger uploads spool to a temporary file


def _one(plan: Plan, row: IncidentObligation, now: datetime) -> dict[str, Any]:
    return obligation_data(summary.summarise(plan, row, now))


@router.get("/obligations", summary="Open obligation deadlines across incidents, soonest first")
def open_deadlines(
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> list[dict[str, Any]]:
    return [
        deadline_data(row, clock, now)
        for row, clock in tracking.open_deadlines_for(session, plan, principal, now)
    ]


@router.get("/obligations/presets", summary="Obligations an incident may attach")
def presets(
    _principal: Principal = Depends(require_viewer), plan: Plan = Depends(get_plan)
) -> list[dict[str, Any]]:
    return [
        preset_data(obligation, catalog.origin(plan, key))
        for key, obligation in catalog.catalog(plan).items()
    ]


@router.get("/incidents/{ref}/obligations", summary="An incident's obligations and their clocks")
def incident_obligations(
    ref: str,
    include_detached: bool = Query(default=False),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    rows = tracking.attached(session, incident, include_detached=include_detached)
    active = {row.key for row in rows if row.detached_at is None}
    return {
        "incident": incident.ref,
        "obligations": [obligation_data(summary.summarise(plan, row, now)) for row in rows],
        "suggestions": [
            suggestion_data(s) for s in summary.suggestions(session, plan, incident, active)
        ],
    }


@router.post("/incidents/{ref}/obligations", status_code=201, summary="Attach an obligation")
def attach(
    ref: str,
    body: AttachIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    row = service.attach(session, plan, principal, now, incident, **body.model_dump())
    session.commit()
    return _one(plan, row, now)


@router.post(
    "/incidents/{ref}/obligations/{key}/moments",
    status_code=201,
    summary="Record when the trigger (or another moment a clock starts from) happened",
)
def record_moment(
    ref: str,
    body: MomentIn,
    key: str = KEY,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    row = tracking.find_attached(session, incident, key)
    service.record_moment(session, plan, principal, now, incident, row, **body.model_dump())
    session.commit()
    return _one(plan, row, now)


@router.patch(
    "/incidents/{ref}/obligations/{key}/conditions", summary="Answer the obligation's conditions"
)
def set_conditions(
    ref: str,
    body: ConditionsIn,
    key: str = KEY,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    row = tracking.find_attached(session, incident, key)
    service.set_conditions(
        session, plan, principal, now, incident, row, body.conditions, reason=body.reason
    )
    session.commit()
    return _one(plan, row, now)


@router.post(
    "/incidents/{ref}/obligations/{key}/submissions",
    status_code=201,
    summary="Record a stage's submission",
)
def submit(
    ref: str,
    body: SubmissionIn,
    key: str = KEY,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    row = tracking.find_attached(session, incident, key)
    service.submit(session, plan, principal, now, incident, row, **body.model_dump())
    session.commit()
    return _one(plan, row, now)


@router.post("/incidents/{ref}/obligations/{key}/detach", summary="Detach, with the reason")
def detach(
    ref: str,
    body: DetachIn,
    key: str = KEY,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    row = tracking.find_attached(session, incident, key)
    service.detach(session, principal, now, incident, row, reason=body.reason)
    session.commit()
    return _one(plan, row, now)


@router.post(
    "/incidents/{ref}/obligation-documents",
    status_code=201,
    response_model=DocumentOut,
    summary="Upload a document sent to an authority (the request body is the file)",
)
async def upload_document(
    request: Request,
    ref: str,
    filename: str = Query(max_length=255, description="the file's name, e.g. early-warning.pdf"),
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> DocumentOut:
    incident = queries.get_visible(session, principal, ref)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > documents.MAX_BYTES:
        raise TooLarge(
            f"the document is larger than {documents.MAX_BYTES // (1024 * 1024)} MB",
            field="document",
        )
    # Spooled first: the store writes synchronously, and the body arrives asynchronously.
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > documents.MAX_BYTES:
                raise TooLarge(
                    f"the document is larger than {documents.MAX_BYTES // (1024 * 1024)} MB",
                    field="document",
                )
            spool.write(chunk)
        spool.seek(0)
        document = await run_in_threadpool(
            documents.store,
            session,
            EvidenceStore(settings.evidence_dir),
            principal,
            now,
            incident,
            chunks_of(spool),  # type: ignore[arg-type]
            filename=filename,
            content_type=request.headers.get("content-type", ""),
        )
    session.commit()
    return DocumentOut.model_validate(document, from_attributes=True)


@router.get(
    "/incidents/{ref}/obligation-documents/{sha256}",
    summary="Download a document sent to an authority (security roles and admins)",
)
def download_document(
    ref: str,
    sha256: str = Path(max_length=64),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
    plan: Plan = Depends(get_plan),
) -> StreamingResponse:
    # What went to a regulator describes the breach in detail: it is security material.
    incident = get_for_security(session, plan, principal, ref)
    document = documents.find(session, incident, sha256)
    if document is None:
        raise NotFound(f"no document {sha256[:64]!r} on {incident.ref}", field="sha256")
    store = EvidenceStore(settings.evidence_dir)
    problem = store.verify(document.sha256)
    if problem is not None:
        raise Conflict(f"{document.filename} is {problem}; it is not served", field="sha256")
    return StreamingResponse(
        _bytes(store, document.sha256),
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{_quoted(document.filename)}"'},
    )


def _bytes(store: EvidenceStore, sha256: str) -> Iterator[bytes]:
    yield from store.read(sha256)


def _quoted(name: str) -> str:
    return name.replace('"', "'").encode("ascii", "replace").decode("ascii")
