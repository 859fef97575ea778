"""Settings pages: your profile and API tokens, people, teams, services, jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, NotFound
from fireline.core.ids import RowId
from fireline.core.jobs import queue
from fireline.people import service as people
from fireline.people.models import ApiToken, Role, Team, User
from fireline.web.pages import page_admin, page_manager, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/settings", include_in_schema=False)
ROLES = [role.value for role in Role]


def _see_other(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _form_error(exc: AppError) -> dict[str, Any]:
    return {"error": exc.message, "error_field": exc.field}


@router.get("")
def settings_home(_: Principal = Depends(page_viewer)) -> Response:
    return _see_other("/settings/profile")


# --- profile and API tokens -------------------------------------------------------


def _profile(
    request: Request, principal: Principal, session: Session, *, status: int = 200, **extra: Any
) -> Response:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id)
    ).all()
    context = {
        "title": "Your profile",
        "user": people.get_user(session, principal.user_id),
        "tokens": tokens,
        **extra,
    }
    return render(
        request, "settings/profile.html", context, principal=principal, status_code=status
    )


@router.get("/profile")
def profile(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    return _profile(request, principal, session)


@router.post("/tokens")
def create_token(
    request: Request,
    name: str = Form(default="", max_length=200),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    user = people.get_user(session, principal.user_id)
    try:
        issued = people.create_token(session, actor=principal.actor, now=now, user=user, name=name)
    except AppError as exc:
        session.rollback()
        return _profile(request, principal, session, status=exc.status, **_form_error(exc))
    session.commit()
    # The secret is in this one response only; it is stored as a hash.
    return _profile(
        request, principal, session, new_token=issued.secret, new_token_name=issued.row.name
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    token_id: RowId,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != principal.user_id:
        raise NotFound(f"no token with id {token_id}")
    people.revoke_token(session, actor=principal.actor, now=now, token=token)
    session.commit()
    return _see_other("/settings/profile")


# --- people -----------------------------------------------------------------------


def _people(
    request: Request, principal: Principal, session: Session, *, status: int = 200, **extra: Any
) -> Response:
    users = session.scalars(select(User).order_by(User.name)).all()
    context = {"title": "People", "users": users, "roles": ROLES, **extra}
    return render(request, "settings/people.html", context, principal=principal, status_code=status)


@router.get("/people")
def people_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    return _people(request, principal, session)


@router.post("/people")
def create_person(
    request: Request,
    email: str = Form(default="", max_length=320),
    name: str = Form(default="", max_length=200),
    role: str = Form(default=Role.responder.value, max_length=20),
    time_zone: str = Form(default="UTC", max_length=64),
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        people.create_user(
            session,
            actor=principal.actor,
            now=now,
            email=email,
            name=name,
            role=role,
            time_zone=time_zone,
        )
    except AppError as exc:
        session.rollback()
        values = {"email": email, "name": name, "role": role, "time_zone": time_zone}
        return _people(
            request, principal, session, status=exc.status, form=values, **_form_error(exc)
        )
    session.commit()
    return _see_other("/settings/people")


@router.post("/people/{user_id}/role")
def change_role(
    request: Request,
    user_id: RowId,
    role: str = Form(default="", max_length=20),
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        user = people.get_user(session, user_id)
        people.set_role(session, actor=principal.actor, now=now, user=user, role=role)
    except AppError as exc:
        session.rollback()
        return _people(request, principal, session, status=exc.status, **_form_error(exc))
    session.commit()
    return _see_other("/settings/people")


# --- teams and services ----------------------------------------------------------------


def _teams(
    request: Request, principal: Principal, session: Session, *, status: int = 200, **extra: Any
) -> Response:
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    context = {"title": "Teams", "teams": teams, **extra}
    return render(request, "settings/teams.html", context, principal=principal, status_code=status)


@router.get("/teams")
def teams_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    return _teams(request, principal, session)


@router.post("/teams")
def create_team(
    request: Request,
    slug: str = Form(default="", max_length=64),
    name: str = Form(default="", max_length=200),
    description: str = Form(default="", max_length=2000),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        people.create_team(
            session, actor=principal.actor, now=now, slug=slug, name=name, description=description
        )
    except AppError as exc:
        session.rollback()
        values = {"slug": slug, "name": name, "description": description}
        return _teams(
            request, principal, session, status=exc.status, form=values, **_form_error(exc)
        )
    session.commit()
    return _see_other("/settings/teams")


@router.get("/services")
def services_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    services = session.scalars(select(Service).order_by(Service.tier, Service.name)).all()
    return render(
        request,
        "settings/services.html",
        {"title": "Services", "services": services},
        principal=principal,
    )


# --- jobs ---------------------------------------------------------------------------


@router.get("/jobs")
def jobs_page(
    request: Request,
    state: str | None = None,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
) -> Response:
    try:
        jobs = queue.list_jobs(session, queue.JobFilter(state=state or None, limit=200))
    except AppError:
        jobs, state = queue.list_jobs(session, queue.JobFilter(limit=200)), None
    context = {
        "title": "Jobs",
        "jobs": jobs,
        "counts": queue.counts_by_state(session),
        "state": state,
    }
    return render(request, "settings/jobs.html", context, principal=principal)


@router.post("/jobs/{job_id}/retry")
def retry_job(
    job_id: RowId,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    queue.retry(session, job_id=job_id, now=now, actor=principal.actor)
    session.commit()
    return _see_other("/settings/jobs")
