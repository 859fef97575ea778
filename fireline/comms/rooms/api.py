"""JSON API for the organisation's chat rooms (admins only: a room's target
may hold a token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.rooms import service
from fireline.comms.rooms.models import ChatRoom
from fireline.core.deps import Principal, get_now, get_session, require_admin
from fireline.core.ids import RowId
from fireline.core.strict import Strict

router = APIRouter(prefix="/api/v1/chat-rooms", tags=["chat rooms"])


class RoomIn(Strict):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32, description="a channel kind: apprise, slack, webhook, …")
    target: dict[str, Any] = Field(
        description="what the channel needs, e.g. {'url': 'msteams://…'}"
    )
    events: list[str] = Field(
        default_factory=lambda: list(service.DEFAULT_EVENTS),
        max_length=len(service.EVENTS),
        description=", ".join(service.EVENTS),
    )


class RoomOut(BaseModel):
    id: int
    name: str
    kind: str
    target: dict[str, Any] = Field(description="secrets masked")
    events: list[str]
    created_at: datetime
    last_ok_at: datetime | None
    last_error: str
    last_error_at: datetime | None

    @classmethod
    def of(cls, room: ChatRoom) -> RoomOut:
        try:
            shown = channels.get(room.kind).redact(room.target)
        except channels.UnknownChannel:
            shown = {}
        return cls(
            id=room.id,
            name=room.name,
            kind=room.kind,
            target=shown,
            events=room.events,
            created_at=room.created_at,
            last_ok_at=room.last_ok_at,
            last_error=room.last_error,
            last_error_at=room.last_error_at,
        )


@router.get("", response_model=list[RoomOut])
def list_rooms(
    _: Principal = Depends(require_admin), session: Session = Depends(get_session)
) -> list[RoomOut]:
    return [RoomOut.of(r) for r in service.rooms(session)]


@router.post("", response_model=RoomOut, status_code=201)
def add_room(
    body: RoomIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> RoomOut:
    room = service.add_room(
        session,
        actor=principal.actor,
        now=now,
        name=body.name,
        kind=body.kind,
        target=body.target,
        events=body.events,
    )
    session.commit()
    return RoomOut.of(room)


@router.post("/{room_id}/test", status_code=202)
def test_room(
    room_id: RowId,
    _: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> dict[str, str]:
    service.send_test(session, now=now, room=service.find_room(session, room_id))
    session.commit()
    return {"status": "queued"}


@router.delete("/{room_id}", status_code=204)
def remove_room(
    room_id: RowId,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    room = service.find_room(session, room_id)
    service.remove_room(session, actor=principal.actor, now=now, room=room)
    session.commit()
    return Response(status_code=204)
