"""Playbook pages: the list, a readable view with its figures, the YAML
editor for admins, and the incident page's forms for runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, NotFound
from fireline.core.ids import as_row_id
from fireline.incidents.api import get_plan
from fireline.incidents.views import page_responder, refused, visible_incident
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.playbooks import editing, library, service, stats
from fireline.playbooks.editing import PlaybookInvalid
from fireline.web.pages import PageError, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)
page_admin = page_require(Role.admin)

NEW_PLAYBOOK = """key: my-playbook
name: My playbook
description: What it is for, in a sentence.
types: [service_outage]
steps:
  - key: first
    title: The first thing to do
    phase: analysis
    instructions: |
      How to do it, in Markdown.
"""


def _entry(session: Session, plan: Plan, key: str, principal: Principal) -> library.Entry:
    try:
        return library.get(session, plan, key)
    except NotFound as exc:
        raise PageError(404, "Not found", exc.message, principal) from None


@router.get("/playbooks")
def playbook_list(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    context = {
        "title": "Playbooks",
        "entries": list(library.available(session, plan).values()),
        "plan": plan,
        "is_admin": principal.can(Role.admin),
    }
    return render(request, "playbooks/list.html", context, principal=principal)


def _editor(
    request: Request,
    principal: Principal,
    *,
    key: str | None,
    source: str,
    problems: list[Any] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "title": f"Edit {key}" if key else "New playbook",
        "key": key,
        "source": source,
        "problems": problems or [],
    }
    return render(request, "playbooks/edit.html", context, principal=principal, status_code=status)


@router.get("/playbooks/new")
def new_form(request: Request, principal: Principal = Depends(page_admin)) -> Response:
    return _editor(request, principal, key=None, source=NEW_PLAYBOOK)


async def _save(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    plan: Plan,
    key: str | None,
) -> Response:
    form = await request.form()
    source = str(form.get("source", ""))
    try:
        playbook = editing.save(session, plan, principal, now, source, key=key)
    except PlaybookInvalid as exc:
        session.rollback()
        return _editor(
            request, principal, key=key, source=source, problems=exc.problems, status=422
        )
    except AppError as exc:
        session.rollback()
        problem = {"line": 1, "column": 1, "path": exc.field or "", "message": exc.message}
        return _editor(
            request, principal, key=key, source=source, problems=[problem], status=exc.status
        )
    session.commit()
    return RedirectResponse(f"/playbooks/{playbook.key}", status_code=303)


@router.post("/playbooks/new")
async def create(
    request: Request,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return await _save(request, principal, session, now, plan, None)


@router.get("/playbooks/{key}")
def playbook_page(
    request: Request,
    key: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    entry = _entry(session, plan, key, principal)
    context = {
        "title": entry.playbook.name,
        "entry": entry,
        "playbook": entry.playbook,
        "figures": stats.for_playbook(session, entry.playbook),
        "plan": plan,
        "is_admin": principal.can(Role.admin),
    }
    return render(request, "playbooks/show.html", context, principal=principal)


@router.get("/playbooks/{key}/edit")
def edit_form(
    request: Request,
    key: str,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    entry = _entry(session, plan, key, principal)
    source = editing.stored_source(session, key) or library.to_yaml(entry.playbook)
    return _editor(request, principal, key=key, source=source)


@router.post("/playbooks/{key}/edit")
async def edit(
    request: Request,
    key: str,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    _entry(session, plan, key, principal)
    return await _save(request, principal, session, now, plan, key)


@router.post("/playbooks/{key}/delete")
def delete(
    key: str,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        editing.remove(session, principal, now, key)
    except NotFound as exc:
        raise PageError(404, "Not found", exc.message, principal) from None
    session.commit()
    return RedirectResponse("/playbooks", status_code=303)


# --- the incident page ----------------------------------------------------------------


async def _incident_action(
    request: Request,
    ref: str,
    principal: Principal,
    session: Session,
    now: datetime,
    plan: Plan,
    run_id: str = "",
    step_key: str = "",
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    try:
        if step_key:
            found = as_row_id(run_id)
            if found is None:
                raise NotFound(f"no playbook run {run_id} on {incident.ref}")
            service.skip(
                session, principal, now, incident, found, step_key, str(form.get("reason", ""))
            )
        else:
            key = str(form.get("playbook", ""))
            service.start_by_hand(session, plan, principal, now, incident, key)
    except AppError as exc:
        return refused(request, principal, session, plan, now, ref, exc)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}#playbooks", status_code=303)


@router.post("/incidents/{ref}/playbooks")
async def start_run(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return await _incident_action(request, ref, principal, session, now, plan)


@router.post("/incidents/{ref}/playbooks/{run_id}/steps/{step_key}/skip")
async def skip_step(
    request: Request,
    ref: str,
    run_id: str,
    step_key: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return await _incident_action(request, ref, principal, session, now, plan, run_id, step_key)
