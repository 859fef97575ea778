"""Post-mortem pages: the list, the action-item board, and one post-mortem
with its editor, preview, blameless advice, reviewers and action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput
from fireline.core.ids import as_row_id
from fireline.incidents import work
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.incidents.views import visible_incident
from fireline.people.models import Role, Team, User
from fireline.plan.schema import Plan
from fireline.postmortems import actions, export, queries, service
from fireline.postmortems.api import download
from fireline.postmortems.models import STATUSES
from fireline.web.markdown import render_markdown
from fireline.web.pages import PageError, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/postmortems", include_in_schema=False)
page_responder = page_require(Role.responder)


def _zone(plan: Plan) -> ZoneInfo:
    return ZoneInfo(plan.organisation.time_zone)


def _invalid(exc: AppError, principal: Principal) -> PageError:
    return PageError(exc.status, "Not possible", exc.message, principal)


@router.get("")
def postmortem_list(
    request: Request,
    status: str = Query(default="", max_length=16),
    overdue: str = Query(default="", max_length=3),
    severity: str = Query(default="", max_length=16),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    filters = queries.ListFilter(status or None, overdue == "on", severity or None)
    try:
        rows = queries.listing(session, principal, _zone(plan), now, filters)
    except AppError as exc:
        raise _invalid(exc, principal) from None
    context = {
        "title": "Post-mortems",
        "rows": [queries.summary(pm, incident, plan, now) for pm, incident in rows],
        "filters": {"status": status, "overdue": overdue == "on", "severity": severity},
        "statuses": STATUSES,
        "plan": plan,
    }
    return render(request, "postmortems/list.html", context, principal=principal)


@router.get("/actions")
def action_board(
    request: Request,
    owner: str = Query(default="", max_length=320),
    team: str = Query(default="", max_length=64),
    overdue: str = Query(default="", max_length=3),
    priority: str = Query(default="", max_length=16),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    zone = _zone(plan)
    filters = actions.BoardFilter(
        owner=owner or None, team=team or None, overdue=overdue == "on", priority=priority or None
    )
    try:
        rows = actions.board(session, principal, zone, now, filters)
    except AppError as exc:
        raise _invalid(exc, principal) from None
    context = {
        "title": "Action items",
        "rows": [(item, incident, actions.is_overdue(item, zone, now)) for item, incident in rows],
        "closure": actions.closure(session, principal, zone, now),
        "filters": {"owner": owner, "team": team, "overdue": overdue == "on", "priority": priority},
        "people": session.scalars(select(User).order_by(User.name)).all(),
        "teams": session.scalars(select(Team).order_by(Team.name)).all(),
        "priorities": work.ITEM_PRIORITIES,
    }
    return render(request, "postmortems/actions.html", context, principal=principal)


def render_postmortem_page(
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
    pm = service.get(session, incident)
    context: dict[str, Any] = {
        "title": f"Post-mortem {incident.ref}",
        "incident": incident,
        "pm": queries.detail(session, pm, incident, plan, now) if pm else None,
        "required": plan.postmortem.requires(incident.severity),
        "action_items": work.action_items(session, incident),
        "people": session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.name)
        ).all(),
        "priorities": work.ITEM_PRIORITIES,
        "item_statuses": work.ITEM_STATUSES,
        "can_act": principal.can(Role.responder),
        "is_reviewer": bool(pm and any(r.user_id == principal.user_id for r in pm.reviewers)),
        **extra,
    }
    return render(
        request, "postmortems/show.html", context, principal=principal, status_code=status
    )


@router.get("/{ref}")
def postmortem_page(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = visible_incident(session, principal, ref)
    return render_postmortem_page(request, principal, session, plan, now, incident)


@router.get("/{ref}/export")
def export_page(
    ref: str,
    format: str = Query(default="md", max_length=8),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = visible_incident(session, principal, ref)
    try:
        fmt = export.check_format(format)
        pm = service.require(session, incident)
    except AppError as exc:
        raise _invalid(exc, principal) from None
    content = export.export(session, plan, principal, now, incident, pm, fmt)
    session.commit()
    return download(content, incident, fmt)


def _field(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _due(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"expected a date like 2026-03-20, not {value!r}", field="due_date"
        ) from None


@router.post("/{ref}/{action}")
async def postmortem_action(
    request: Request,
    ref: str,
    action: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    """One handler for the page's forms: draft, save or preview, reviewers,
    submit, review, publish, and action items."""
    incident = visible_incident(session, principal, ref)
    form = await request.form()
    extra: dict[str, Any] = {}
    try:
        if action == "draft":
            service.draft(session, plan, principal, now, incident)
        elif action == "edit":
            body = str(form.get("body", ""))
            if form.get("preview"):
                # Nothing is saved: the form comes back with the text and how it reads.
                return render_postmortem_page(
                    request,
                    principal,
                    session,
                    plan,
                    now,
                    incident,
                    draft_body=body,
                    preview=render_markdown(body),
                    preview_advice=queries.advice(session, incident, body),
                )
            service.edit(session, principal, now, incident, body=body)
        elif action == "reviewers":
            service.add_reviewer(session, principal, now, incident, _field(form, "user"))
        elif action == "remove-reviewer":
            service.remove_reviewer(session, principal, now, incident, _field(form, "user"))
        elif action == "submit":
            service.submit(session, principal, now, incident)
        elif action == "review":
            service.review(
                session,
                principal,
                now,
                incident,
                decision=_field(form, "decision"),
                comment=_field(form, "comment"),
            )
        elif action == "publish":
            service.publish(session, principal, now, incident)
        elif action == "action-item":
            work.add_action_item(
                session,
                principal,
                now,
                incident,
                title=_field(form, "title"),
                owner=_field(form, "owner") or None,
                due_date=_due(_field(form, "due_date")),
                priority=_field(form, "priority") or "medium",
                ticket_url=_field(form, "ticket_url"),
            )
        elif action == "action-item-edit":
            item_id = as_row_id(_field(form, "item_id"))
            if item_id is None:
                raise InvalidInput("no such action item", field="item_id")
            work.update_action_item(
                session,
                principal,
                now,
                incident,
                item_id,
                owner=_field(form, "owner"),
                due_date=_due(_field(form, "due_date")),
                priority=_field(form, "priority") or None,
                status=_field(form, "status") or None,
                ticket_url=_field(form, "ticket_url"),
            )
        else:
            raise PageError(404, "Not found", f"no action {action}", principal)
    except AppError as exc:
        session.rollback()
        incident = visible_incident(session, principal, ref)
        if action == "edit":
            extra["draft_body"] = str(form.get("body", ""))
        return render_postmortem_page(
            request,
            principal,
            session,
            plan,
            now,
            incident,
            status=exc.status,
            error=exc.message,
            error_field=exc.field,
            **extra,
        )
    session.commit()
    return RedirectResponse(f"/postmortems/{incident.ref}", status_code=303)
