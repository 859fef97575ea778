"""Pages for observables: /incidents/{ref}/observables, with its forms
(add, change a marking, remove, technique tags, STIX export and import)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, TooLarge
from fireline.core.ids import as_row_id
from fireline.core.strict import keepable_input
from fireline.incidents.models import Incident
from fireline.incidents.views import visible_incident
from fireline.people.models import Role
from fireline.security.observables import attack, exchange, service
from fireline.security.observables.api import MAX_BUNDLE_BYTES
from fireline.security.observables.entry import DEFAULT_TLP, check
from fireline.security.observables.models import IncidentObservable
from fireline.security.observables.normalise import HASHES, TLP, TYPES
from fireline.security.observables.sightings import sightings
from fireline.security.observables.stix import DEFAULT_CEILING
from fireline.web.pages import page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/incidents", include_in_schema=False)
page_responder = page_require(Role.responder)
_SEPARATORS = re.compile(r"[\s,;]+")
_NOTICES = {
    "added": "Added",
    "updated": "Already on this incident, so it was updated",
    "unchanged": "Already on this incident, with nothing new",
}


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    incident: Incident,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = service.observables_of(session, incident)
    context = {
        "title": f"{incident.ref} observables",
        "incident": incident,
        "observables": rows,
        "seen": sightings(session, principal, incident),
        "techniques": service.techniques_of(session, incident),
        "technique_names": attack.NAMES,
        "attack_url": attack.url_of,
        "types": TYPES,
        "hashes": HASHES,
        "levels": TLP,
        "default_tlp": DEFAULT_TLP,
        "default_ceiling": DEFAULT_CEILING,
        "can_act": principal.can(Role.responder),
        "form": {},
        **extra,
    }
    return render(
        request, "security/observables/page.html", context, principal=principal, status_code=status
    )


def _failed(
    request: Request,
    principal: Principal,
    session: Session,
    ref: str,
    exc: AppError,
    **extra: Any,
) -> Response:
    session.rollback()
    incident = visible_incident(session, principal, ref)
    return _page(
        request,
        principal,
        session,
        incident,
        status=exc.status,
        error=exc.message,
        error_field=exc.field,
        **extra,
    )


def _back(incident: Incident, **query: str) -> Response:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return RedirectResponse(f"/incidents/{incident.ref}/observables{suffix}", status_code=303)


@router.get("/{ref}/observables")
def observables_page(
    request: Request,
    ref: str,
    done: str = Query(default="", max_length=16),
    observable: int = Query(default=0, ge=0, le=2**63 - 1),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    incident = visible_incident(session, principal, ref)
    notice = ""
    row = session.get(IncidentObservable, observable) if done in _NOTICES and observable else None
    if row is not None and row.incident_id == incident.id:
        notice = f"{_NOTICES[done]}: {service.describe(row)}"
    return _page(request, principal, session, incident, notice=notice)


def _moment(value: str, field: str, principal: Principal) -> datetime | None:
    """A datetime-local input, in the viewer's time zone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("expected a date and time like 2026-03-02T09:30", field=field) from None
    keepable_input(moment, field)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(principal.time_zone))


@router.post("/{ref}/observables")
async def add_observable(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    values = {
        key: str(form.get(key, "")).strip()
        for key in (
            "type",
            "value",
            "hash_algorithm",
            "tlp",
            "description",
            "techniques",
            "first_seen",
            "last_seen",
        )
    }
    try:
        given = check(
            values["type"],
            values["value"],
            now=now,
            hash_algorithm=values["hash_algorithm"] or None,
            marking=values["tlp"] or None,
            description=values["description"] or None,
            techniques=_SEPARATORS.split(values["techniques"]),
            first_seen=_moment(values["first_seen"], "first_seen", principal),
            last_seen=_moment(values["last_seen"], "last_seen", principal),
        )
        done = service.record(session, principal, now, incident, given)
    except AppError as exc:
        return _failed(request, principal, session, ref, exc, form=values)
    session.commit()
    outcome = "added" if done.created else "updated" if done.changed else "unchanged"
    return _back(incident, done=outcome, observable=str(done.observable.id))


def _row_id(value: str) -> int:
    found = as_row_id(value)
    if found is None:
        raise InvalidInput("no such observable", field="observable")
    return found


@router.post("/{ref}/observables/{observable_id}/remove")
async def remove_observable(
    request: Request,
    ref: str,
    observable_id: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    try:
        service.remove(
            session,
            principal,
            now,
            incident,
            _row_id(observable_id),
            reason=str(form.get("reason", "")).strip(),
        )
    except AppError as exc:
        return _failed(request, principal, session, ref, exc)
    session.commit()
    return _back(incident)


@router.post("/{ref}/observables/{observable_id}/marking")
async def change_marking(
    request: Request,
    ref: str,
    observable_id: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    try:
        service.update(
            session,
            principal,
            now,
            incident,
            _row_id(observable_id),
            marking=str(form.get("tlp", "")).strip() or None,
        )
    except AppError as exc:
        return _failed(request, principal, session, ref, exc)
    session.commit()
    return _back(incident)


@router.post("/{ref}/techniques")
async def add_technique(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    value = str(form.get("technique", "")).strip()
    try:
        service.add_technique(session, principal, now, incident, value)
    except AppError as exc:
        return _failed(request, principal, session, ref, exc, technique_form=value)
    session.commit()
    return _back(incident)


@router.post("/{ref}/techniques/{technique}/remove")
def remove_technique(
    request: Request,
    ref: str,
    technique: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    try:
        service.remove_technique(session, principal, now, incident, technique)
    except AppError as exc:
        return _failed(request, principal, session, ref, exc)
    session.commit()
    return _back(incident)


@router.get("/{ref}/observables/stix")
def export_stix(
    request: Request,
    ref: str,
    tlp: str = Query(default=DEFAULT_CEILING, max_length=16),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The bundle as a download."""
    incident = visible_incident(session, principal, ref)
    try:
        bundle = exchange.export_bundle(session, incident, now, ceiling=tlp)
    except AppError as exc:
        return _failed(request, principal, session, ref, exc)
    ceiling = tlp.strip().upper().removeprefix("TLP:").replace("+", "-").lower()
    filename = f"{incident.ref}-tlp-{ceiling}.stix.json"
    return Response(
        orjson.dumps(bundle, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{ref}/observables/import")
async def import_stix(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    upload = form.get("bundle")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a STIX 2.1 bundle (a .json file)", field="bundle")
        content = await upload.read(MAX_BUNDLE_BYTES + 1)
        if len(content) > MAX_BUNDLE_BYTES:
            raise TooLarge(
                f"a bundle may be at most {MAX_BUNDLE_BYTES // 1024 // 1024} MB", field="bundle"
            )
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"not JSON: {exc}", field="bundle") from None
        report = exchange.import_bundle(session, principal, now, incident, data)
    except AppError as exc:
        return _failed(request, principal, session, ref, exc)
    session.commit()
    return _page(request, principal, session, incident, report=report)
