"""Public incidents and maintenance from the signed-in side: opening a public
incident (with a template's words), its page with the updates and the form
for the next one, scheduling maintenance, and "Post public update" on an
internal incident's page.

The template picker fills the open form's words: with htmx in place as soon
as a template is chosen, without JavaScript through its "Use template" button
(a GET that shows the form again, filled).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.comms.status import service
from fireline.comms.status.admin_kit import (
    CODE,
    authors,
    components_in_order,
    picked_components,
    status_choices,
    status_inputs,
    statuses_of,
    window,
)
from fireline.comms.status.models import (
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    PublicIncident,
    UpdateTemplate,
)
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.core.ids import as_row_id
from fireline.incidents import queries
from fireline.incidents import views as incident_views
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.oncall.view_kit import (
    failed,
    local_input,
    page,
    page_responder,
    posted,
    see,
    text,
    values_of,
    zone_of,
)
from fireline.plan.schema import Plan
from fireline.web.pages import PageError, page_viewer

router = APIRouter(include_in_schema=False)

INCIDENT_FIELDS = ("name", "impact", "status", "body")
MAINTENANCE_FIELDS = ("name", "body", "scheduled_for", "scheduled_until")
RESOLVED_WORDS = {
    "incident": "This incident has been resolved.",
    "maintenance": "The scheduled maintenance has been completed.",
}


# --- opening a public incident -----------------------------------------------------


def _open_form(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": "Open a public incident",
        "templates": service.templates(session),
        "template": "",
        "components": components_in_order(session),
        "choices": status_choices(),
        "statuses": INCIDENT_STATUSES,
        "impacts": IMPACTS,
        "incident_form": {"status": "investigating", "impact": "minor"},
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/incident_new.html", context, status=status)


@router.get("/statuspage/incidents/new")
def open_form(
    request: Request,
    template: str = Query(default="", max_length=20),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """``template``: the id of the template whose words fill the form."""
    chosen = as_row_id(template)
    picked = session.get(UpdateTemplate, chosen) if chosen else None
    form = {"status": "investigating", "impact": "minor"}
    if picked is not None:
        form |= {"name": picked.title, "body": picked.body}
        if picked.status in INCIDENT_STATUSES:
            form["status"] = picked.status
    return _open_form(
        request,
        principal,
        session,
        now,
        template=str(picked.id) if picked else "",
        incident_form=form,
    )


@router.post("/statuspage/incidents/new")
def open_incident(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        public = service.open_incident(
            session,
            principal,
            now,
            name=text(form, "name", 300),
            impact=text(form, "impact", 16),
            components=statuses_of(form, components_in_order(session)),
            status=text(form, "status", 32),
            body=text(form, "body", 20_000),
        )
    except AppError as exc:
        session.rollback()
        return _open_form(
            request,
            principal,
            session,
            now,
            status=exc.status,
            incident_form={**values_of(form, INCIDENT_FIELDS), **status_inputs(form)},
            failure=failed(exc, "incident"),
        )
    session.commit()
    return see(f"/statuspage/incidents/{public.code}")


# --- one public incident or maintenance --------------------------------------------


def _public(session: Session, principal: Principal, code: str) -> PublicIncident:
    found = None
    if CODE.match(code):
        found = session.scalars(select(PublicIncident).where(PublicIncident.code == code)).first()
    if found is None:
        raise PageError(404, "Not found", "no such public incident or maintenance", principal)
    return found


def _internal(session: Session, principal: Principal, public: PublicIncident) -> Incident | None:
    """The internal incident it was published from, when the viewer may see it."""
    if public.incident_id is None:
        return None
    try:
        return queries.get_visible(session, principal, str(public.incident_id))
    except AppError:
        return None


def _public_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    public: PublicIncident,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    maintenance = public.kind == "maintenance"
    context = {
        "title": public.name,
        "public": public,
        "internal": _internal(session, principal, public),
        "authors": authors(session, public),
        "statuses": MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES,
        "closing_status": "completed" if maintenance else "resolved",
        "components": components_in_order(session),
        "choices": status_choices(),
        "update_form": {"status": public.status},
        "resolve_form": {"body": RESOLVED_WORDS[public.kind]},
        "failure": {},
        **extra,
    }
    return page(request, principal, now, "status/admin/incident.html", context, status=status)


@router.get("/statuspage/incidents/{code}")
def public_page(
    request: Request,
    code: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _public_page(request, principal, session, now, _public(session, principal, code))


@router.post("/statuspage/incidents/{code}/updates")
def post_update(
    request: Request,
    code: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The next update, or (``form`` "resolve") the closing one."""
    public = _public(session, principal, code)
    which = "resolve" if form.get("form") == "resolve" else "update"
    try:
        components = statuses_of(form, components_in_order(session))
        service.post_update(
            session,
            principal,
            now,
            public,
            status=text(form, "status", 32),
            body=text(form, "body", 20_000),
            components=components,
        )
    except AppError as exc:
        session.rollback()
        sent = {**values_of(form, ("status", "body")), **status_inputs(form)}
        return _public_page(
            request,
            principal,
            session,
            now,
            _public(session, principal, code),
            status=exc.status,
            failure=failed(exc, which),
            **{f"{which}_form": sent},
        )
    session.commit()
    return see(f"/statuspage/incidents/{code}")


# --- maintenance -------------------------------------------------------------------


def _maintenance_form(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    zone = zone_of(principal.time_zone)
    # Suggest the next full hour, for two hours: a common window, easy to change.
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    context = {
        "title": "Schedule maintenance",
        "components": components_in_order(session),
        "zone": zone.key,
        "maintenance_form": {
            "scheduled_for": local_input(start, zone),
            "scheduled_until": local_input(start + timedelta(hours=2), zone),
            "components": [],
        },
        "failure": {},
        **extra,
    }
    return page(
        request, principal, now, "status/admin/maintenance_new.html", context, status=status
    )


@router.get("/statuspage/maintenance/new")
def maintenance_form(
    request: Request,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _maintenance_form(request, principal, session, now)


@router.post("/statuspage/maintenance/new")
def schedule_maintenance(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        starts, ends = window(form, principal)
        maintenance = service.schedule_maintenance(
            session,
            principal,
            now,
            name=text(form, "name", 300),
            body=text(form, "body", 20_000),
            scheduled_for=starts,
            scheduled_until=ends,
            components=picked_components(form),
        )
    except AppError as exc:
        session.rollback()
        sent = {
            **values_of(form, MAINTENANCE_FIELDS),
            "components": [str(v) for v in form.getlist("components")],
        }
        return _maintenance_form(
            request,
            principal,
            session,
            now,
            status=exc.status,
            maintenance_form=sent,
            failure=failed(exc, "maintenance"),
        )
    session.commit()
    return see(f"/statuspage/incidents/{maintenance.code}")


# --- "Post public update" on an incident's page ------------------------------------


def _visible(session: Session, principal: Principal, ref: str) -> Incident:
    try:
        return queries.get_visible(session, principal, ref)
    except AppError as exc:
        raise PageError(404, "Not found", exc.message, principal) from None


@router.post("/incidents/{ref}/public-update")
def publish_from_incident(
    request: Request,
    ref: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    """Component statuses and the public words in one step; the first one
    opens the incident's public incident (its name and impact are asked then)."""
    incident = _visible(session, principal, ref)
    try:
        service.publish_from_incident(
            session,
            principal,
            now,
            incident,
            name=text(form, "name", 300) or None,
            impact=text(form, "impact", 16) or None,
            components=statuses_of(form, components_in_order(session)),
            status=text(form, "status", 32),
            body=text(form, "body", 20_000),
        )
    except AppError as exc:
        session.rollback()
        # The incident page again, with the panel's error beside its field.
        return incident_views.render_incident_page(
            request,
            principal,
            session,
            plan,
            now,
            _visible(session, principal, ref),
            status=exc.status,
            public_form={**values_of(form, INCIDENT_FIELDS), **status_inputs(form)},
            public_failure=failed(exc, "public"),
        )
    session.commit()
    return see(f"/incidents/{incident.ref}#public-update")
