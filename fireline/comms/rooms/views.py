"""The admin's page of chat rooms: add one (its channel's own fields, as on
a person's contact methods), send it a test, remove it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.comms.rooms import service
from fireline.comms.rooms.models import ChatRoom
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, NotFound
from fireline.core.ids import RowId, as_row_id
from fireline.oncall.contact_views import (
    channel_choices,
    chosen_kind,
    inputs_for,
    shown_target,
    target_of,
)
from fireline.oncall.view_kit import failed, not_found, page, posted, see, text, values_of
from fireline.web.pages import page_admin

router = APIRouter(prefix="/settings/chat", include_in_schema=False)


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    kind: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    kind = chosen_kind(kind, "apprise")
    context = {
        "title": "Chat rooms",
        "rooms": [(r, shown_target(r.kind, r.target)) for r in service.rooms(session)],
        "events": service.EVENTS,
        "kinds": channel_choices(),
        "kind": kind,
        "inputs": inputs_for(kind),
        "room_fields": ["name", "kind", "events", *(f"target.{i.name}" for i in inputs_for(kind))],
        "room_form": {"events": list(service.DEFAULT_EVENTS)},
        **extra,
    }
    return page(request, principal, now, "settings/chat.html", context, status=status)


@router.get("")
def rooms_page(
    request: Request,
    kind: str = Query(default="", max_length=32),
    tested: str = Query(default="", max_length=20),
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _page(request, principal, session, now, kind=kind, tested=as_row_id(tested))


def _events(form: FormData) -> list[str]:
    return [str(e)[:64] for e in form.getlist("events")][:20]


@router.post("")
def add_room(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    kind = text(form, "kind", 32, check=False)[:32]
    try:
        service.add_room(
            session,
            actor=principal.actor,
            now=now,
            name=text(form, "name", 200),
            kind=kind,
            target=target_of(kind, form),
            events=_events(form),
        )
    except AppError as exc:
        session.rollback()
        error = failed(exc, "room", "kind")
        # Shown again as sent, except secrets: they are not echoed into the page.
        shown = values_of(
            form, tuple(f"target.{i.name}" for i in inputs_for(kind) if i.type != "password")
        )
        sent = {**values_of(form, ("name",)), **shown, "events": _events(form)}
        return _page(
            request,
            principal,
            session,
            now,
            kind=kind,
            status=exc.status,
            room_form=sent,
            **error,
        )
    session.commit()
    return see("/settings/chat")


def _room(session: Session, principal: Principal, room_id: int) -> ChatRoom:
    try:
        return service.find_room(session, room_id)
    except NotFound as exc:
        raise not_found(principal, exc) from None


@router.post("/{room_id}/test")
def test_room(
    room_id: RowId,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    room = _room(session, principal, room_id)
    service.send_test(session, now=now, room=room)
    session.commit()
    return see(f"/settings/chat?tested={room.id}")


@router.post("/{room_id}/remove")
def remove_room(
    room_id: RowId,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    room = _room(session, principal, room_id)
    service.remove_room(session, actor=principal.actor, now=now, room=room)
    session.commit()
    return see("/settings/chat")
