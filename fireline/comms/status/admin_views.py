"""Pages for running the status page: the overview with a status select per
component, components and their groups, update templates and the page's
settings. Public incidents, maintenance and the incident page's "Post public
update" live in ``publish_views``; this router carries their routes too, so
the app includes one router for all of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.catalog.models import Service
from fireline.comms.status import components, publish_views, service
from fireline.comms.status.admin_kit import (
    component_input,
    component_values,
    grouped,
    groups,
    open_public,
    overall_now,
    status_choices,
)
from fireline.comms.status.models import (
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    Component,
)
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.core.ids import RowId
from fireline.oncall.view_kit import (
    failed,
    page,
    page_responder,
    posted,
    see,
    text,
    values_of,
)
from fireline.web.pages import PageError, page_manager, page_viewer

router = APIRouter(include_in_schema=False)
pages = APIRouter(prefix="/statuspage")

SETTINGS_FIELDS = ("name", "logo_url", "brand_color", "time_zone", "support_url")
TEMPLATE_FIELDS = ("name", "status", "title", "body")


# --- the overview ------------------------------------------------------------------


def _overview(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    shown = grouped(session)
    context = {
        "title": "Status page",
        "overall": overall_now(session, [c for _, members in shown for c in members]),
        "groups": shown,
        "choices": status_choices(),
        "incidents": open_public(session, "incident"),
        "maintenance": open_public(session, "maintenance"),
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/overview.html", context, status=status)


@pages.get("")
def overview(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _overview(request, principal, session, now)


def _component(session: Session, principal: Principal, component_id: int) -> Component:
    found = session.get(Component, component_id)
    if found is None:
        raise PageError(404, "Not found", f"no component {component_id}", principal)
    return found


@pages.post("/components/{component_id}/status")
def set_status(
    request: Request,
    component_id: RowId,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """One component's select; with htmx it posts as soon as it changes."""
    component = _component(session, principal, component_id)
    try:
        status = text(form, "status", 32)
        components.set_component_status(session, principal, now, component, status)
    except AppError as exc:
        session.rollback()
        failure = failed(exc, f"component-{component_id}", "status")
        return _overview(request, principal, session, now, status=exc.status, failure=failure)
    session.commit()
    return see("/statuspage")


# --- components and groups -----------------------------------------------------------


def _services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)))


def _components_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": "Status page components",
        "groups": grouped(session),
        "group_list": groups(session),
        "services": _services(session),
        "component_form": {},
        "group_form": {},
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/components.html", context, status=status)


@pages.get("/components")
def components_page(
    request: Request,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _components_page(request, principal, session, now)


@pages.post("/components")
def add_component(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        components.create_component(session, principal, now, **component_input(form))
    except AppError as exc:
        session.rollback()
        return _components_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            component_form=component_values(form),
            failure=failed(exc, "component", "name"),
        )
    session.commit()
    return see("/statuspage/components")


@pages.post("/groups")
def add_group(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        components.create_group(
            session,
            principal,
            now,
            name=text(form, "name", 200),
            description=text(form, "description", 1000),
        )
    except AppError as exc:
        session.rollback()
        return _components_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            group_form=values_of(form, ("name", "description")),
            failure=failed(exc, "group", "name"),
        )
    session.commit()
    return see("/statuspage/components")


def _edit_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    component: Component,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": f"Edit {component.name}",
        "component": component,
        "group_list": groups(session),
        "services": _services(session),
        "component_form": {
            "name": component.name,
            "description": component.description,
            "group": str(component.group_id or ""),
            "services": [s.slug for s in component.services],
            "only_show_if_degraded": component.only_show_if_degraded,
        },
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/component.html", context, status=status)


@pages.get("/components/{component_id}")
def edit_component_page(
    request: Request,
    component_id: RowId,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    component = _component(session, principal, component_id)
    return _edit_page(request, principal, session, now, component)


@pages.post("/components/{component_id}")
def edit_component(
    request: Request,
    component_id: RowId,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    component = _component(session, principal, component_id)
    try:
        components.update_component(session, principal, now, component, **component_input(form))
    except AppError as exc:
        session.rollback()
        return _edit_page(
            request,
            principal,
            session,
            now,
            _component(session, principal, component_id),
            status=exc.status,
            component_form=component_values(form),
            failure=failed(exc, "component", "name"),
        )
    session.commit()
    return see("/statuspage/components")


# --- templates -----------------------------------------------------------------------


def _templates_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": "Update templates",
        "templates": service.templates(session),
        "statuses": INCIDENT_STATUSES + MAINTENANCE_STATUSES,
        "template_form": {"status": "investigating"},
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/templates.html", context, status=status)


@pages.get("/templates")
def templates_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _templates_page(request, principal, session, now)


@pages.post("/templates")
def add_template(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        service.create_template(
            session,
            principal,
            now,
            name=text(form, "name", 200),
            status=text(form, "status", 32),
            title=text(form, "title", 300),
            body=text(form, "body", 20_000),
        )
    except AppError as exc:
        session.rollback()
        return _templates_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            template_form=values_of(form, TEMPLATE_FIELDS),
            failure=failed(exc, "template", "name"),
        )
    session.commit()
    return see("/statuspage/templates")


# --- the page's settings -----------------------------------------------------------


def _settings_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    settings = components.page_settings(session, now)
    context = {
        "title": "Status page settings",
        "settings_form": {name: getattr(settings, name) for name in SETTINGS_FIELDS},
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/settings.html", context, status=status)


@pages.get("/settings")
def settings_page(
    request: Request,
    saved: str = Query(default="", max_length=1),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _settings_page(request, principal, session, now, saved=bool(saved))


@pages.post("/settings")
def save_settings(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        values = {name: text(form, name, 2000) for name in SETTINGS_FIELDS}
        components.update_page_settings(session, principal, now, **values)
    except AppError as exc:
        session.rollback()
        return _settings_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            settings_form=values_of(form, SETTINGS_FIELDS),
            failure=failed(exc, "settings", "name"),
        )
    session.commit()
    return see("/statuspage/settings?saved=1")


router.include_router(pages)
router.include_router(publish_views.router)
