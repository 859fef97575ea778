"""The incident page's forms for classification, approvals and confidential notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput
from fireline.core.ids import as_row_id
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.incidents.views import page_responder, refused, visible_incident
from fireline.plan.schema import Plan
from fireline.security import service

router = APIRouter(prefix="/incidents/{ref}", include_in_schema=False)

# (session, plan, principal, now, incident, form, id from the path) -> anchor on the page
Action = Callable[[Session, Plan, Principal, datetime, Incident, FormData, int | None], str]


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _count(form: FormData, name: str) -> int | None:
    text = _text(form, name).replace(",", "").replace("_", "")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("expected a whole number, 0 or more", field=name)
    return int(text)


def classify(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    _: int | None,
) -> str:
    raw: dict[str, Any] = {
        "functional": _text(form, "functional") or "none",
        "information": [str(v) for v in form.getlist("information")],
        "recoverability": _text(form, "recoverability") or "regular",
        "data": [str(v) for v in form.getlist("data")],
        "records": _count(form, "records"),
        "people": _count(form, "people"),
        "jurisdictions": [j.strip() for j in _text(form, "jurisdictions").split(",") if j.strip()],
    }
    service.classify(session, plan, principal, now, incident, raw)
    return "classification"


def decide_classification(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    _: int | None,
) -> str:
    service.decide_classification(
        session,
        plan,
        principal,
        now,
        incident,
        accept=_text(form, "accept") != "no",
        severity=_text(form, "severity") or None,
        reason=_text(form, "reason"),
    )
    return "classification"


def request_approval(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    _: int | None,
) -> str:
    service.request_approval(
        session,
        plan,
        principal,
        now,
        incident,
        phase=_text(form, "phase"),
        title=_text(form, "title"),
        description=_text(form, "description"),
        roles=[str(v) for v in form.getlist("roles")],
    )
    return "approvals"


def decide_approval(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    approval_id: int | None,
) -> str:
    service.decide_approval(
        session,
        principal,
        now,
        incident,
        _known(approval_id),
        role=_text(form, "role"),
        decision=_text(form, "decision"),
        rationale=_text(form, "rationale"),
    )
    return f"approval-{approval_id}"


def carried_out(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    approval_id: int | None,
) -> str:
    service.carry_out(
        session, principal, now, incident, _known(approval_id), outcome=_text(form, "outcome")
    )
    return f"approval-{approval_id}"


def withdraw(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    approval_id: int | None,
) -> str:
    service.withdraw(
        session, principal, now, incident, _known(approval_id), reason=_text(form, "reason")
    )
    return f"approval-{approval_id}"


def confidential_note(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    form: FormData,
    _: int | None,
) -> str:
    service.add_confidential_note(
        session,
        plan,
        principal,
        now,
        incident,
        body=_text(form, "body"),
        roles=[str(v) for v in form.getlist("roles")],
    )
    return "confidential"


def _known(approval_id: int | None) -> int:
    if approval_id is None:
        raise InvalidInput("no such approval request", field="approval_id")
    return approval_id


async def _act(
    request: Request,
    ref: str,
    action: Action,
    principal: Principal,
    session: Session,
    now: datetime,
    plan: Plan,
    approval_id: str = "",
) -> Response:
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    try:
        anchor = action(session, plan, principal, now, incident, form, as_row_id(approval_id))
    except AppError as exc:
        return refused(request, principal, session, plan, now, ref, exc)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}#{anchor}", status_code=303)


def _route(path: str, action: Action) -> None:
    async def endpoint(
        request: Request,
        ref: str,
        approval_id: str = "",
        principal: Principal = Depends(page_responder),
        session: Session = Depends(get_session),
        now: datetime = Depends(get_now),
        plan: Plan = Depends(get_plan),
    ) -> Response:
        return await _act(request, ref, action, principal, session, now, plan, approval_id)

    endpoint.__name__ = action.__name__
    router.add_api_route(path, endpoint, methods=["POST"])


for _path, _action in (
    ("/classification", classify),
    ("/classification/decision", decide_classification),
    ("/approvals", request_approval),
    ("/approvals/{approval_id}/decide", decide_approval),
    ("/approvals/{approval_id}/carried-out", carried_out),
    ("/approvals/{approval_id}/withdraw", withdraw),
    ("/confidential-notes", confidential_note),
):
    _route(_path, _action)
