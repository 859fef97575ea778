"""Stakeholder updates on an incident's page: the cadence (and an overdue
mark), the latest update, and the form that posts the next one."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.comms.stakeholders import service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.incidents import queries
from fireline.incidents import views as incident_views
from fireline.incidents.api import get_plan
from fireline.oncall.view_kit import failed, not_found, posted, see
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.web.pages import page_require

router = APIRouter(prefix="/incidents", include_in_schema=False)
page_responder = page_require(Role.responder)


@router.post("/{ref}/stakeholder-update")
def post_update(
    request: Request,
    ref: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        incident = queries.get_visible(session, principal, ref)
    except AppError as exc:
        raise not_found(principal, exc) from None
    body = form.get("body")
    try:
        service.post_update(
            session, principal, now, incident, body=body if isinstance(body, str) else ""
        )
    except AppError as exc:
        session.rollback()
        return incident_views.render_incident_page(
            request,
            principal,
            session,
            plan,
            now,
            incident,
            status=exc.status,
            stakeholder_form={"body": body if isinstance(body, str) else ""},
            **failed(exc, "stakeholders", "body"),
        )
    session.commit()
    return see(f"/incidents/{incident.ref}#stakeholders")
