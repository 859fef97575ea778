"""JSON API for observables, sightings, technique tags and STIX 2.1 bundles.

Everyone who may see an incident may read its observables and export
them (the TLP ceiling decides what leaves); responders add, change,
remove and import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fireline.core.deps import Principal, get_now, get_session, require_responder, require_viewer
from fireline.core.errors import InvalidInput, TooLarge
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.incidents import queries
from fireline.incidents.models import Incident
from fireline.security.observables import attack, exchange, service
from fireline.security.observables.entry import MAX_DESCRIPTION, MAX_TECHNIQUES, check
from fireline.security.observables.models import IncidentObservable, IncidentTechnique
from fireline.security.observables.normalise import MAX_VALUE
from fireline.security.observables.sightings import Seen, sightings
from fireline.security.observables.stix import DEFAULT_CEILING

router = APIRouter(prefix="/api/v1/incidents", tags=["observables"])
MAX_BUNDLE_BYTES = 10 * 1024 * 1024
TechniqueId = Annotated[str, StringConstraints(max_length=16)]


class ObservableIn(Strict):
    type: str = Field(max_length=32, description="ipv4-addr, domain-name, file, …, text")
    value: str = Field(max_length=MAX_VALUE + 100)
    hash_algorithm: str | None = Field(
        default=None, max_length=16, description="for a file known by its hash: MD5, SHA-1, SHA-256"
    )
    tlp: str | None = Field(
        default=None, max_length=16, description="CLEAR, GREEN, AMBER (default), AMBER+STRICT, RED"
    )
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    techniques: list[TechniqueId] = Field(default_factory=list, max_length=MAX_TECHNIQUES)
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class ObservablePatch(Strict):
    tlp: str | None = Field(default=None, max_length=16)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    techniques: list[TechniqueId] | None = Field(default=None, max_length=MAX_TECHNIQUES)


class TechniqueIn(Strict):
    technique: str = Field(max_length=16, description="an ATT&CK id like T1566 or T1566.001")


class SeenOut(BaseModel):
    ref: str
    title: str
    is_open: bool

    @classmethod
    def of(cls, seen: Seen) -> SeenOut:
        return cls(ref=seen.ref, title=seen.title, is_open=seen.is_open)


class ObservableOut(BaseModel):
    id: int
    type: str
    value: str
    hash_algorithm: str | None
    tlp: str
    description: str
    techniques: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    added_by_id: int | None
    added_at: datetime
    updated_at: datetime
    seen_in: list[SeenOut] = Field(description="other incidents you may see that have it too")

    @classmethod
    def of(cls, row: IncidentObservable, seen: list[Seen] | None = None) -> ObservableOut:
        return cls(
            id=row.id,
            type=row.type,
            value=row.value,
            hash_algorithm=row.hash_algorithm,
            tlp=row.tlp,
            description=row.description,
            techniques=list(row.techniques),
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            added_by_id=row.added_by_id,
            added_at=row.added_at,
            updated_at=row.updated_at,
            seen_in=[SeenOut.of(s) for s in seen or []],
        )


class RecordedOut(ObservableOut):
    created: bool = Field(description="false: the incident had it already and it was updated")
    changed: list[str]
    message: str


class TechniqueOut(BaseModel):
    technique: str
    name: str
    added_by_id: int | None
    added_at: datetime

    @classmethod
    def of(cls, row: IncidentTechnique) -> TechniqueOut:
        return cls(
            technique=row.technique,
            name=attack.NAMES.get(row.technique, ""),
            added_by_id=row.added_by_id,
            added_at=row.added_at,
        )


class SkippedOut(BaseModel):
    id: str
    reason: str


class ImportOut(BaseModel):
    added: list[ObservableOut]
    updated: list[ObservableOut]
    unchanged: int
    techniques_added: list[str]
    skipped: list[SkippedOut]


def _listed(session: Session, principal: Principal, incident: Incident) -> list[ObservableOut]:
    seen = sightings(session, principal, incident)
    return [ObservableOut.of(o, seen.get(o.id)) for o in service.observables_of(session, incident)]


@router.get("/{ref}/observables", response_model=list[ObservableOut])
def list_observables(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[ObservableOut]:
    return _listed(session, principal, queries.get_visible(session, principal, ref))


@router.get(
    "/{ref}/observables/sightings",
    response_model=list[ObservableOut],
    summary="The incident's observables also seen in other incidents you may see",
)
def list_sightings(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[ObservableOut]:
    incident = queries.get_visible(session, principal, ref)
    return [o for o in _listed(session, principal, incident) if o.seen_in]


@router.post(
    "/{ref}/observables",
    response_model=RecordedOut,
    status_code=201,
    responses={200: {"description": "the incident had it already; it was updated"}},
)
def add_observable(
    ref: str,
    body: ObservableIn,
    response: Response,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> RecordedOut:
    incident = queries.get_visible(session, principal, ref)
    given = check(
        body.type,
        body.value,
        now=now,
        hash_algorithm=body.hash_algorithm,
        marking=body.tlp,
        description=body.description,
        techniques=body.techniques,
        first_seen=body.first_seen,
        last_seen=body.last_seen,
    )
    done = service.record(session, principal, now, incident, given)
    session.commit()
    shown = service.describe(done.observable)
    if done.created:
        message = f"added {shown}"
    else:
        response.status_code = 200
        what = ", ".join(done.changed) if done.changed else "nothing new"
        message = f"{incident.ref} already has {shown}; updated: {what}"
    seen = sightings(session, principal, incident).get(done.observable.id)
    return RecordedOut(
        **ObservableOut.of(done.observable, seen).model_dump(),
        created=done.created,
        changed=list(done.changed),
        message=message,
    )


@router.patch("/{ref}/observables/{observable_id}", response_model=ObservableOut)
def update_observable(
    ref: str,
    observable_id: RowId,
    body: ObservablePatch,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ObservableOut:
    incident = queries.get_visible(session, principal, ref)
    row = service.update(
        session,
        principal,
        now,
        incident,
        observable_id,
        marking=body.tlp,
        description=body.description,
        techniques=body.techniques,
    )
    session.commit()
    return ObservableOut.of(row, sightings(session, principal, incident).get(row.id))


@router.delete("/{ref}/observables/{observable_id}", status_code=204)
def remove_observable(
    ref: str,
    observable_id: RowId,
    reason: str = Query(default="", max_length=service.MAX_REASON),
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = queries.get_visible(session, principal, ref)
    service.remove(session, principal, now, incident, observable_id, reason=reason)
    session.commit()
    return Response(status_code=204)


@router.get("/{ref}/techniques", response_model=list[TechniqueOut])
def list_techniques(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[TechniqueOut]:
    incident = queries.get_visible(session, principal, ref)
    return [TechniqueOut.of(t) for t in service.techniques_of(session, incident)]


@router.post(
    "/{ref}/techniques",
    response_model=TechniqueOut,
    status_code=201,
    responses={200: {"description": "the incident was tagged with it already"}},
)
def add_technique(
    ref: str,
    body: TechniqueIn,
    response: Response,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TechniqueOut:
    incident = queries.get_visible(session, principal, ref)
    row, created = service.add_technique(session, principal, now, incident, body.technique)
    session.commit()
    if not created:
        response.status_code = 200
    return TechniqueOut.of(row)


@router.delete("/{ref}/techniques/{technique}", status_code=204)
def remove_technique(
    ref: str,
    technique: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = queries.get_visible(session, principal, ref)
    service.remove_technique(session, principal, now, incident, technique)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/{ref}/stix",
    response_model=dict[str, Any],
    summary="The incident's observables as a STIX 2.1 bundle",
)
def export_stix(
    ref: str,
    tlp: str = Query(
        default=DEFAULT_CEILING,
        max_length=16,
        description="the ceiling: observables marked above it are left out",
    ),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> JSONResponse:
    incident = queries.get_visible(session, principal, ref)
    return JSONResponse(exchange.export_bundle(session, incident, now, ceiling=tlp))


@router.post(
    "/{ref}/stix",
    response_model=ImportOut,
    summary="Import observables and ATT&CK techniques from a STIX 2.1 bundle",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "a STIX 2.1 bundle",
        }
    },
)
async def import_stix(
    request: Request,
    ref: str,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ImportOut:
    incident = await run_in_threadpool(queries.get_visible, session, principal, ref)
    data = await read_json_body(request)
    return await run_in_threadpool(_import, session, principal, now, incident, data)


async def read_json_body(request: Request) -> Any:
    """The request's JSON, read no further than the limit."""
    if request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        raise InvalidInput("send the bundle itself as JSON, not as a form", field="bundle")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BUNDLE_BYTES:
            raise TooLarge(f"a bundle may be at most {MAX_BUNDLE_BYTES // 1024 // 1024} MB")
    try:
        return orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}", field="bundle") from None


def _import(
    session: Session, principal: Principal, now: datetime, incident: Incident, data: Any
) -> ImportOut:
    report = exchange.import_bundle(session, principal, now, incident, data)
    session.commit()
    return ImportOut(
        added=[ObservableOut.of(o) for o in report.added],
        updated=[ObservableOut.of(o) for o in report.updated],
        unchanged=len(report.unchanged),
        techniques_added=report.techniques_added,
        skipped=[SkippedOut(id=s.id, reason=s.reason) for s in report.skipped],
    )
