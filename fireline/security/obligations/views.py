"""Pages for obligations: every open deadline across incidents, and an
incident's own obligations with their forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from fireline.core.config import Settings
from fireline.core.deps import Principal, get_now, get_session, get_settings_dep
from fireline.core.errors import AppError, InvalidInput
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.incidents.views import visible_incident
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.security.access import may_handle_security
from fireline.security.evidence.store import EvidenceStore, chunks_of
from fireline.security.obligations import catalog, documents, service, summary, tracking
from fireline.security.obligations.models import IncidentObligation
from fireline.security.obligations.times import local_input
from fireline.web.pages import page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)
page_responder = page_require(Role.responder)
FORM_TIME = "%Y-%m-%dT%H:%M"  # what a datetime-local input holds


@router.get("/security/deadlines")
def deadlines_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    rows = [
        {
            "obligation": row,
            "clock": clock,
            "left": summary.time_left(clock.due_at - now) if clock.due_at else "",
        }
        for row, clock in tracking.open_deadlines_for(session, plan, principal, now)
    ]
    context = {"title": "Deadlines", "deadlines": rows, "now": now}
    return render(request, "security/obligations/deadlines.html", context, principal=principal)


def render_obligations_page(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    incident: Incident,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    found = summary.summaries(session, plan, incident, now)
    active = {item.row.key for item in found}
    offered = catalog.catalog(plan)
    context = {
        "title": f"{incident.ref} obligations",
        "incident": incident,
        "obligations": found,
        "detached": [
            row
            for row in tracking.attached(session, incident, include_detached=True)
            if row.detached_at is not None
        ],
        "suggestions": summary.suggestions(session, plan, incident, active),
        "offered": [(key, o) for key, o in offered.items() if key not in active],
        "can_act": principal.can(Role.responder),
        "may_download": may_handle_security(plan, principal, incident),
        "now_local": now.astimezone(ZoneInfo(principal.time_zone)).strftime(FORM_TIME),
        "form": {},
        **extra,
    }
    return render(
        request, "security/obligations/page.html", context, principal=principal, status_code=status
    )


@router.get("/incidents/{ref}/obligations")
def obligations_page(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = visible_incident(session, principal, ref)
    return render_obligations_page(request, principal, session, plan, now, incident)


Action = Callable[[Incident, FormData], str]  # does the work; returns the anchor to go back to


async def _act(
    request: Request,
    ref: str,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    action: Action,
) -> Response:
    """Run one form's use case: on success back to the page, on a refusal
    the page again with the message next to what was sent."""
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    try:
        anchor = action(incident, form)
    except AppError as exc:
        session.rollback()
        incident = visible_incident(session, principal, ref)
        sent = {k: v for k, v in form.items() if isinstance(v, str)}
        return render_obligations_page(
            request,
            principal,
            session,
            plan,
            now,
            incident,
            status=exc.status,
            error=exc.message,
            error_field=exc.field,
            form=sent,
        )
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}/obligations#{anchor}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _time(form: FormData, name: str) -> datetime:
    text = _text(form, name)
    if not text:
        raise InvalidInput("give the date and time", field=name)
    return local_input(text, field=name)


def _row(session: Session, incident: Incident, key: str) -> IncidentObligation:
    return tracking.find_attached(session, incident, key)


@router.post("/incidents/{ref}/obligations/attach")
async def attach(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    def action(incident: Incident, form: FormData) -> str:
        key = _text(form, "key")
        trigger = _text(form, "trigger_at")
        service.attach(
            session,
            plan,
            principal,
            now,
            incident,
            key=key,
            reason=_text(form, "reason"),
            trigger_at=local_input(trigger, field="trigger_at") if trigger else None,
            time_zone=_text(form, "time_zone") or principal.time_zone,
        )
        return f"obligation-{key}"

    return await _act(request, ref, principal, session, plan, now, action)


@router.post("/incidents/{ref}/obligations/{key}/moment")
async def record_moment(
    request: Request,
    ref: str,
    key: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    def action(incident: Incident, form: FormData) -> str:
        service.record_moment(
            session,
            plan,
            principal,
            now,
            incident,
            _row(session, incident, key),
            moment=_text(form, "moment") or "trigger",
            at=_time(form, "at"),
            time_zone=_text(form, "time_zone") or principal.time_zone,
            note=_text(form, "note"),
        )
        return f"obligation-{key}"

    return await _act(request, ref, principal, session, plan, now, action)


@router.post("/incidents/{ref}/obligations/{key}/conditions")
async def set_conditions(
    request: Request,
    ref: str,
    key: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    def action(incident: Incident, form: FormData) -> str:
        row = _row(session, incident, key)
        answers: dict[str, bool] = {}
        for condition in tracking.definition(row).conditions:
            value = _text(form, f"c_{condition}")
            if value in ("yes", "no"):
                answers[condition] = value == "yes"
            elif value:
                raise InvalidInput("answer yes or no", field=f"c_{condition}")
        service.set_conditions(
            session, plan, principal, now, incident, row, answers, reason=_text(form, "reason")
        )
        return f"obligation-{key}"

    return await _act(request, ref, principal, session, plan, now, action)


@router.post("/incidents/{ref}/obligations/{key}/submit")
async def submit(
    request: Request,
    ref: str,
    key: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    def action(incident: Incident, form: FormData) -> str:
        row = _row(session, incident, key)
        sent = form.get("document")
        sha256 = None
        if isinstance(sent, UploadFile) and sent.filename:
            document = documents.store(
                session,
                EvidenceStore(settings.evidence_dir),
                principal,
                now,
                incident,
                chunks_of(sent.file),
                filename=sent.filename,
                content_type=sent.content_type or "",
            )
            sha256 = document.sha256
        service.submit(
            session,
            plan,
            principal,
            now,
            incident,
            row,
            stage=_text(form, "stage"),
            at=_time(form, "at"),
            time_zone=_text(form, "time_zone") or principal.time_zone,
            authority=_text(form, "authority"),
            reference=_text(form, "reference"),
            note=_text(form, "note"),
            document_sha256=sha256,
        )
        return f"obligation-{key}"

    return await _act(request, ref, principal, session, plan, now, action)


@router.post("/incidents/{ref}/obligations/{key}/detach")
async def detach(
    request: Request,
    ref: str,
    key: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    def action(incident: Incident, form: FormData) -> str:
        row = _row(session, incident, key)
        service.detach(session, principal, now, incident, row, reason=_text(form, "reason"))
        return "detached"

    return await _act(request, ref, principal, session, plan, now, action)
