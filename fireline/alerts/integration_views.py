"""Integration pages: the list with its create form, the key shown once, the
setup snippet for the source, rotating and revoking the key, and the generic
webhook's mapping editor with its "try it" box."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from starlette.responses import Response

from fireline.alerts import service
from fireline.alerts import view_kit as kit
from fireline.alerts.api import base_url_of
from fireline.alerts.models import Heartbeat, Integration
from fireline.alerts.snippets import ingestion_url, setup_snippet
from fireline.alerts.sources import generic
from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.web.pages import page_manager, page_viewer

# Included by fireline.alerts.views, under /alerts.
router = APIRouter(include_in_schema=False)

MAX_PAYLOAD = 256 * 1024


# --- integrations ---------------------------------------------------------------------


def _integrations_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(Integration)
        .options(joinedload(Integration.service))
        .join(Service, Service.id == Integration.service_id)
        .order_by(Service.name, Integration.id)
    ).all()
    context = {
        "title": "Integrations",
        "integrations": rows,
        "services": kit.all_services(session),
        "kinds": service.KINDS,
        "form": {"kind": "alertmanager"},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/integrations.html", context, status=status)


@router.get("/integrations")
def integrations(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _integrations_page(request, principal, session, now)


def _shown_once(request: Request, row: Integration, key: str) -> dict[str, Any]:
    base = base_url_of(request)
    return {
        "integration": row,
        "key": key,
        "url": ingestion_url(base, row.kind, key),
        "snippet": setup_snippet(base, row.kind, key),
    }


@router.post("/integrations")
def create_integration(
    request: Request,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    values = {
        key: form.get(key, "")
        for key in (
            "service",
            "kind",
            "name",
            "group_by",
            "heartbeat_period_seconds",
            "heartbeat_grace_seconds",
        )
    }
    try:
        if not values["service"]:
            raise InvalidInput("choose a service", field="service")
        # The heartbeat fields are ignored for other kinds, as the form says.
        heartbeat = values["kind"] == "heartbeat"
        period = kit.field_number(form, "heartbeat_period_seconds") if heartbeat else None
        grace = kit.field_number(form, "heartbeat_grace_seconds") if heartbeat else None
        spec = service.IntegrationSpec(
            service=values["service"],
            kind=values["kind"],
            name=kit.field_text(form, "name", 200),
            group_by=kit.field_text(form, "group_by", 4000).split(","),
            heartbeat_period_seconds=period,
            heartbeat_grace_seconds=grace,
        )
        row, key = service.create_integration(session, actor=principal.actor, now=now, spec=spec)
    except AppError as exc:
        session.rollback()
        return _integrations_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=values,
            **kit.failed(exc, "integration", "service"),
        )
    session.commit()
    # The key is in this one response only: it is stored as a hash.
    return _integrations_page(
        request, principal, session, now, created=_shown_once(request, row, key)
    )


def _integration(session: Session, principal: Principal, integration_id: str) -> Integration:
    try:
        return service.find_integration(session, integration_id)
    except NotFound as exc:
        raise kit.not_found(principal, exc) from None


def _mapping_form(mapping: dict[str, Any]) -> dict[str, str]:
    values = {name: str(mapping.get(name) or "") for name in generic.EXPRESSIONS}
    for name in generic.LISTS:
        if isinstance(mapping.get(name), list):
            values[name] = ", ".join(str(v) for v in mapping[name])
    return values


def _mapping_from(form: dict[str, str]) -> dict[str, Any]:
    """The mapping the editor describes: blank fields keep the defaults."""
    mapping: dict[str, Any] = {}
    for name in generic.EXPRESSIONS:
        value = kit.field_text(form, f"mapping.{name}", 2000)
        if value:
            mapping[name] = value
    for name in generic.LISTS:
        value = kit.field_text(form, f"mapping.{name}", 2000)
        if value:
            mapping[name] = [v.strip() for v in value.split(",") if v.strip()]
    return mapping


def _integration_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    row: Integration,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    heartbeat = session.scalar(select(Heartbeat).where(Heartbeat.integration_id == row.id))
    context = {
        "title": f"Integration {row.name}",
        "integration": row,
        "heartbeat": heartbeat,
        "url": ingestion_url(base_url_of(request), row.kind, "<key>"),
        "mapping": _mapping_form(dict(row.mapping or {})),
        "defaults": generic.DEFAULTS,
        "expressions": generic.EXPRESSIONS,
        "lists": generic.LISTS,
        "mapping_fields": [f"mapping.{name}" for name in (*generic.EXPRESSIONS, *generic.LISTS)],
        "payload": "",
        **extra,
    }
    return kit.page(request, principal, now, "alerts/integration.html", context, status=status)


@router.get("/integrations/{integration_id}")
def integration_page(
    request: Request,
    integration_id: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    return _integration_page(request, principal, session, now, row)


@router.post("/integrations/{integration_id}/rotate")
def rotate_key(
    request: Request,
    integration_id: str,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    try:
        key = service.rotate_key(session, actor=principal.actor, now=now, integration=row)
    except AppError as exc:
        session.rollback()
        row = _integration(session, principal, integration_id)
        return _integration_page(
            request, principal, session, now, row, status=exc.status, **kit.failed(exc, "key")
        )
    session.commit()
    return _integration_page(
        request, principal, session, now, row, created=_shown_once(request, row, key)
    )


@router.post("/integrations/{integration_id}/revoke")
def revoke_integration(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    if form.get("confirm") != "yes":
        exc = InvalidInput("tick the box to confirm: senders using this key will be refused")
        return _integration_page(
            request,
            principal,
            session,
            now,
            row,
            status=422,
            **kit.failed(exc, "revoke", "confirm"),
        )
    service.revoke(session, actor=principal.actor, now=now, integration=row)
    session.commit()
    return kit.see(f"/alerts/integrations/{row.id}")


@router.post("/integrations/{integration_id}/mapping")
def save_mapping(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    try:
        service.update_integration(
            session,
            actor=principal.actor,
            now=now,
            integration=row,
            changes={"mapping": _mapping_from(form)},
        )
    except AppError as exc:
        session.rollback()
        row = _integration(session, principal, integration_id)
        return _integration_page(
            request,
            principal,
            session,
            now,
            row,
            status=exc.status,
            mapping={k[len("mapping.") :]: v for k, v in form.items() if k.startswith("mapping.")},
            payload=form.get("payload", ""),
            **kit.failed(exc, "mapping", "mapping"),
        )
    session.commit()
    return kit.see(f"/alerts/integrations/{row.id}?saved=1")


def try_it(form: dict[str, str], now: datetime) -> dict[str, Any]:
    """What the editor's mapping makes of the pasted payload, or what is wrong."""
    text = form.get("payload", "")
    if not text:
        return {"ok": False, "error": "paste a sample payload first", "field": "payload"}
    if len(text) > MAX_PAYLOAD:
        return {"ok": False, "error": f"at most {MAX_PAYLOAD} characters", "field": "payload"}
    try:
        body = json.loads(text)
    except ValueError as exc:
        return {"ok": False, "error": f"not valid JSON: {exc}", "field": "payload"}
    try:
        mapping = _mapping_from(form)
    except AppError as exc:
        return {"ok": False, "error": exc.message, "field": exc.field}
    return generic.try_mapping(body, mapping, now)


@router.post("/integrations/{integration_id}/try")
def try_mapping(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The "try it" box: a partial for htmx, the whole page without JavaScript."""
    row = _integration(session, principal, integration_id)
    result = try_it(form, now)
    if request.headers.get("hx-request"):
        return kit.page(request, principal, now, "alerts/_try.html", {"result": result})
    return _integration_page(
        request,
        principal,
        session,
        now,
        row,
        result=result,
        mapping={k[len("mapping.") :]: v for k, v in form.items() if k.startswith("mapping.")},
        payload=form.get("payload", ""),
    )
