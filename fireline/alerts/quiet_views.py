"""Silence and maintenance window pages: what keeps alerts from paging while
every alert is still kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from starlette.responses import Response

from fireline.alerts import routing, silences
from fireline.alerts import view_kit as kit
from fireline.alerts.models import MaintenanceWindow, Silence
from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import RowId
from fireline.web.pages import page_viewer

# Included by fireline.alerts.views, under /alerts.
router = APIRouter(include_in_schema=False)

SILENCE_DURATIONS = ("1h", "4h", "24h")


# --- silences -------------------------------------------------------------------------


def _silences_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(Silence)
        .options(joinedload(Silence.created_by))
        .where(Silence.expired_at.is_(None), Silence.ends_at > now)
        .order_by(Silence.starts_at, Silence.id)
        .limit(500)
    ).all()
    context = {
        "title": "Silences",
        "silences": [
            (row, kit.matchers_text(row.matchers), silences.silence_state(row, now)) for row in rows
        ],
        "durations": SILENCE_DURATIONS,
        "form": {"ends_in": "1h"},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/silences.html", context, status=status)


@router.get("/silences")
def silence_list(
    request: Request,
    matchers: str = Query(default="", max_length=4000),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _silences_page(
        request, principal, session, now, form={"ends_in": "1h", "matchers": matchers}
    )


def add_silence(
    session: Session,
    principal: Principal,
    now: datetime,
    form: dict[str, str],
    *,
    ends_in_field: str,
) -> Silence:
    starts_at = kit.typed_moment(form.get("starts_at", ""), principal, "starts_at")
    ends_at = kit.typed_moment(form.get("ends_at", ""), principal, "ends_at")
    if ends_at is None:
        if not form.get(ends_in_field):
            raise InvalidInput("say how long it lasts, or when it ends", field=ends_in_field)
        ends_at = (starts_at or now) + kit.duration(form[ends_in_field], ends_in_field)
    return silences.add_silence(
        session,
        principal=principal,
        now=now,
        matchers=kit.field_text(form, "matchers", 4000),
        ends_at=ends_at,
        starts_at=starts_at,
        comment=kit.field_text(form, "comment", 2000),
    )


@router.post("/silences")
def create_silence(
    request: Request,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(kit.page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        add_silence(session, principal, now, form, ends_in_field="ends_in")
    except AppError as exc:
        session.rollback()
        return _silences_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=form,
            **kit.failed(exc, "silence"),
        )
    session.commit()
    return kit.see("/alerts/silences")


@router.post("/silences/{silence_id}/expire")
def expire_silence(
    silence_id: RowId,
    principal: Principal = Depends(kit.page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        silences.expire_silence(session, principal=principal, now=now, silence_id=silence_id)
    except NotFound as exc:
        raise kit.not_found(principal, exc) from None
    session.commit()
    return kit.see("/alerts/silences")


# --- maintenance windows --------------------------------------------------------------


def _maintenance_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(MaintenanceWindow)
        .options(joinedload(MaintenanceWindow.service))
        .join(Service, Service.id == MaintenanceWindow.service_id)
        .order_by(Service.name, MaintenanceWindow.starts_at.desc())
        .limit(500)
    ).all()
    windows = []
    for row in rows:
        window = routing.Window(
            row.id,
            row.service_id,
            row.title,
            row.starts_at,
            row.ends_at,
            row.repeat,
            row.repeat_until,
        )
        if routing.window_active(window, now):
            state = "active"
        elif row.starts_at > now:
            state = "upcoming"
        elif row.repeat == "none" or (row.repeat_until is not None and row.repeat_until <= now):
            state = "over"
        else:
            state = "between occurrences"
        windows.append((row, state))
    context = {
        "title": "Maintenance windows",
        "windows": windows,
        "services": kit.all_services(session),
        "repeats": silences.REPEATS,
        "form": {"repeat": "none"},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/maintenance.html", context, status=status)


@router.get("/maintenance")
def maintenance(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _maintenance_page(request, principal, session, now)


@router.post("/maintenance")
def create_window(
    request: Request,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(kit.page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        starts_at = kit.typed_moment(form.get("starts_at", ""), principal, "starts_at")
        ends_at = kit.typed_moment(form.get("ends_at", ""), principal, "ends_at")
        if starts_at is None:
            raise InvalidInput("say when it starts", field="starts_at")
        if ends_at is None:
            raise InvalidInput("say when it ends", field="ends_at")
        if not form.get("service"):
            raise InvalidInput("choose a service", field="service")
        silences.add_maintenance(
            session,
            principal=principal,
            now=now,
            service=form["service"],
            title=kit.field_text(form, "title", 300),
            starts_at=starts_at,
            ends_at=ends_at,
            repeat=form.get("repeat") or "none",
            repeat_until=kit.typed_moment(form.get("repeat_until", ""), principal, "repeat_until"),
        )
    except AppError as exc:
        session.rollback()
        return _maintenance_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=form,
            **kit.failed(exc, "window", "service"),
        )
    session.commit()
    return kit.see("/alerts/maintenance")


@router.post("/maintenance/{window_id}/delete")
def delete_window(
    window_id: RowId,
    principal: Principal = Depends(kit.page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        silences.delete_maintenance(session, principal=principal, now=now, window_id=window_id)
    except NotFound as exc:
        raise kit.not_found(principal, exc) from None
    session.commit()
    return kit.see("/alerts/maintenance")
