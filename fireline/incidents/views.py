"""Incident pages: the list, the declare form, and the incident itself."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.catalog.models import Service
from fireline.comms.stakeholders.page_context import stakeholder_context
from fireline.comms.status.admin_kit import public_update_context
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput
from fireline.core.ids import as_row_id
from fireline.exercises.panel import panel_context as exercise_context
from fireline.incidents import queries, search, service, work
from fireline.incidents.api import get_plan
from fireline.incidents.lifecycle import is_open
from fireline.incidents.models import Incident
from fireline.incidents.sla_timers import clocks
from fireline.people.models import Role, User
from fireline.plan.schema import Plan
from fireline.playbooks.panel import panel_context as playbooks_context
from fireline.postmortems.panel import panel_context as postmortem_context
from fireline.security.page import security_context
from fireline.web.pages import PageError, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/incidents", include_in_schema=False)
page_responder = page_require(Role.responder)
PAGE_SIZE = 25


def _see(incident: Incident) -> Response:
    return RedirectResponse(f"/incidents/{incident.ref}", status_code=303)


@router.get("")
def incident_list(
    request: Request,
    status: str = Query(default="open", max_length=64),
    severity: str = Query(default="", max_length=16),
    type: str = Query(default="", max_length=64),
    service_slug: str = Query(default="", alias="service", max_length=64),
    commander: str = Query(default="", max_length=320),
    since: str = Query(default="", max_length=10, description="YYYY-MM-DD"),
    until: str = Query(default="", max_length=10, description="YYYY-MM-DD, inclusive"),
    sort: str = Query(default="newest", max_length=16),
    page: int = Query(default=1, ge=1, le=100_000),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    filters = queries.IncidentFilter(
        status=None if status == "all" else status,
        severity=severity or None,
        type=type or None,
        service=service_slug or None,
        commander=commander or None,
        declared_after=_day(since, principal),
        declared_before=_day(until, principal, next_day=True),
        sort=sort,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    found = queries.list_incidents(session, principal, filters)
    context = {
        "title": "Incidents",
        "incidents": found[:PAGE_SIZE],
        "has_next": len(found) > PAGE_SIZE,
        "page": page,
        "filters": {
            "status": status,
            "severity": severity,
            "type": type,
            "service": service_slug,
            "commander": commander,
            "since": since,
            "until": until,
            "sort": sort,
        },
        "people": session.scalars(select(User).order_by(User.name)).all(),
        "plan": plan,
        "services": session.scalars(select(Service).order_by(Service.name)).all(),
    }
    return render(request, "incidents/list.html", context, principal=principal)


def _day(value: str, principal: Principal, *, next_day: bool = False) -> datetime | None:
    """A date typed in the viewer's zone, as the UTC moment that day starts (or ends)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise PageError(
            422, "Not a date", f"expected a date like 2026-03-02, not {value!r}", principal
        ) from None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=ZoneInfo(principal.time_zone))


@router.get("/search")
def search_page(
    request: Request,
    q: str = Query(default="", max_length=500),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    hits, error = [], ""
    if q.strip():
        try:
            hits = search.search(session, principal, q, limit=50)
        except AppError as exc:
            error = exc.message
    context = {"title": "Search", "q": q, "hits": hits, "error": error}
    return render(request, "incidents/search.html", context, principal=principal)


def _declare_form(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": "Declare an incident",
        "plan": plan,
        "services": session.scalars(select(Service).order_by(Service.name)).all(),
        "form": {},
        # A double-clicked submit carries the same key, so it declares once.
        "new_key": secrets.token_urlsafe(16),
        **extra,
    }
    return render(
        request, "incidents/declare.html", context, principal=principal, status_code=status
    )


@router.get("/new")
def declare_form(
    request: Request,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    return _declare_form(request, principal, session, plan)


@router.post("/new")
async def declare(
    request: Request,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    form = await request.form()
    values = {
        key: str(form.get(key, ""))
        for key in ("title", "type", "severity", "summary", "idempotency_key")
    }
    answers = {
        q.key: str(form.get(f"q_{q.key}"))
        for q in plan.classification.questions
        if form.get(f"q_{q.key}")
    }
    declaration = service.Declaration(
        title=values["title"],
        type=values["type"],
        severity=values["severity"] or None,
        summary=values["summary"],
        services=[str(s) for s in form.getlist("services")],
        restricted=form.get("restricted") == "on",
        classification=answers,
    )
    try:
        incident, _ = service.declare(
            session, plan, principal, now, declaration, values["idempotency_key"] or None
        )
    except AppError as exc:
        session.rollback()
        return _declare_form(
            request,
            principal,
            session,
            plan,
            status=exc.status,
            form=values,
            error=exc.message,
            error_field=exc.field,
        )
    session.commit()
    return _see(incident)


def render_incident_page(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    incident: Incident,
    *,
    status: int = 200,
    kind: str | None = None,
    **extra: Any,
) -> Response:
    lifecycle = plan.lifecycle_of(incident.type_key)
    context = {
        "title": f"{incident.ref} {incident.title}",
        "incident": incident,
        "plan": plan,
        "next_states": lifecycle.allowed_from(incident.status),
        # For a new type whose lifecycle lacks the incident's state: where it can stand.
        "retype_states": {
            other.key: [state for state in other.states if is_open(other, state)]
            for other in plan.lifecycles
            if incident.status not in other.states
        },
        "clocks": clocks(plan, incident, now),
        "missing_roles": [plan.role(key).name for key in service.missing_roles(plan, incident)],
        "following": any(p.user_id == principal.user_id for p in incident.participants),
        "now": now,
        "events": queries.timeline(session, incident, kind),
        "kind": kind or "",
        "tasks": work.tasks(session, incident),
        "action_items": work.action_items(session, incident),
        "people": session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.name)
        ).all(),
        "active_roles": [r for r in incident.roles if r.ended_at is None],
        "can_act": principal.can(Role.responder),
        **public_update_context(session, incident),
        **stakeholder_context(session, plan, incident, now),
        **security_context(session, plan, principal, incident, now),
        **playbooks_context(session, plan, incident),
        **postmortem_context(session, plan, incident, now),
        **exercise_context(session, incident),
        **extra,
    }
    return render(request, "incidents/show.html", context, principal=principal, status_code=status)


def visible_incident(session: Session, principal: Principal, ref: str) -> Incident:
    try:
        return queries.get_visible(session, principal, ref)
    except AppError as exc:
        raise PageError(404, "Not found", exc.message, principal) from None


def refused(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    ref: str,
    exc: AppError,
) -> Response:
    """The incident page again after a refused form, saying what was wrong;
    nothing of the refused change is kept."""
    session.rollback()
    incident = visible_incident(session, principal, ref)
    return render_incident_page(
        request,
        principal,
        session,
        plan,
        now,
        incident,
        status=exc.status,
        error=exc.message,
        error_field=exc.field,
    )


@router.get("/{ref}")
def incident_page(
    request: Request,
    ref: str,
    kind: str = Query(default="", max_length=32),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = visible_incident(session, principal, ref)
    return render_incident_page(request, principal, session, plan, now, incident, kind=kind or None)


@router.get("/{ref}/timeline")
def timeline_partial(
    request: Request,
    ref: str,
    kind: str = Query(default="", max_length=32),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    """The timeline alone, polled by htmx so the page stays live without a reload."""
    incident = visible_incident(session, principal, ref)
    context = {
        "incident": incident,
        "events": queries.timeline(session, incident, kind or None),
        "kind": kind,
    }
    return render(request, "incidents/_timeline.html", context, principal=principal)


@router.post("/{ref}/follow")
def follow(
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """Anyone who may see an incident may follow it, viewers included."""
    incident = visible_incident(session, principal, ref)
    service.follow(session, principal, now, incident, on=True)
    session.commit()
    return _see(incident)


@router.post("/{ref}/{action}")
async def incident_action(
    request: Request,
    ref: str,
    action: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    """One handler for the page's small forms: status, severity, type, role, note."""
    incident = visible_incident(session, principal, ref)
    form = await request.form()

    def field(name: str) -> str:
        return str(form.get(name, "")).strip()

    try:
        if action == "status":
            service.change_status(
                session, plan, principal, now, incident, field("status"), reason=field("reason")
            )
        elif action == "severity":
            service.change_severity(
                session, plan, principal, now, incident, field("severity"), field("reason")
            )
        elif action == "type":
            service.change_type(
                session,
                plan,
                principal,
                now,
                incident,
                field("type"),
                field("reason"),
                status=field("status") or None,
            )
        elif action == "role":
            service.assign_role(
                session, plan, principal, now, incident, field("role"), field("user")
            )
        elif action == "task":
            work.add_task(
                session,
                principal,
                now,
                incident,
                title=field("title"),
                assignee=field("assignee") or None,
                role=work.task_role(plan, field("role")),
            )
        elif action == "task-status":
            task_id = as_row_id(field("task_id"))
            if task_id is None:
                raise InvalidInput("no such task", field="task_id")
            work.update_task(session, principal, now, incident, task_id, status=field("status"))
        elif action == "action-item":
            work.add_action_item(
                session,
                principal,
                now,
                incident,
                title=field("title"),
                owner=field("owner") or None,
                priority=field("priority") or "medium",
                ticket_url=field("ticket_url"),
            )
        elif action == "note":
            service.add_note(
                session, principal, now, incident, field("body"), pinned=form.get("pinned") == "on"
            )
        else:
            raise PageError(404, "Not found", f"no action {action}", principal)
    except AppError as exc:
        return refused(request, principal, session, plan, now, ref, exc)
    session.commit()
    return _see(incident)
