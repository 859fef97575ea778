"""Use cases of chat rooms: add, remove, send a test, and tell the rooms of
an incident's events as they are recorded.

A restricted incident is never announced: a room is read by anyone in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import TargetInvalid
from fireline.comms.rooms.models import ChatRoom
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.jobs import queue
from fireline.exercises.guard import may_notify
from fireline.incidents.models import Incident, TimelineEvent
from fireline.incidents.service import on_event

SEND_JOB = "rooms.send"
# The timeline events a room can be told of, and what each is called.
EVENTS = {
    "declared": "Incident declared",
    "severity_changed": "Severity changed",
    "type_changed": "Type changed",
    "status_changed": "Status changed",
    "stakeholder_update": "Stakeholder update",
    "public_update": "Public status page update",
}
DEFAULT_EVENTS = ("declared", "severity_changed", "status_changed", "stakeholder_update")
MAX_ROOMS = 50


def rooms(session: Session) -> list[ChatRoom]:
    return list(session.scalars(select(ChatRoom).order_by(ChatRoom.name)))


def find_room(session: Session, room_id: int) -> ChatRoom:
    room = session.get(ChatRoom, room_id)
    if room is None:
        raise NotFound(f"no chat room {room_id}")
    return room


def add_room(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    name: str,
    kind: str,
    target: dict[str, Any],
    events: list[str],
) -> ChatRoom:
    clean_name = name.strip()
    if not clean_name or len(clean_name) > 200:
        raise InvalidInput("a name of 1 to 200 characters is required", field="name")
    if kind not in channels.kinds():
        raise InvalidInput(f"expected one of {', '.join(channels.kinds())}", field="kind")
    try:
        clean = channels.get(kind).validate_target(target)
    except TargetInvalid as exc:
        raise InvalidInput(exc.message, field=f"target.{exc.field}") from None
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput(f"no event {unknown[0]!r}", field="events")
    if session.scalar(select(ChatRoom.id).where(ChatRoom.name == clean_name)) is not None:
        raise Conflict(f"a room named {clean_name!r} exists", field="name")
    if len(rooms(session)) >= MAX_ROOMS:
        raise Conflict(f"at most {MAX_ROOMS} rooms", field="name")
    room = ChatRoom(
        name=clean_name,
        kind=kind,
        target=clean,
        events=[e for e in EVENTS if e in events],
        created_at=now,
    )
    session.add(room)
    session.flush()
    _audit(session, actor, now, "chat_room.added", room, target=channels.get(kind).redact(clean))
    return room


def remove_room(session: Session, *, actor: Actor, now: datetime, room: ChatRoom) -> None:
    _audit(session, actor, now, "chat_room.removed", room)
    session.delete(room)


def send_test(session: Session, *, now: datetime, room: ChatRoom) -> None:
    queue.enqueue(session, kind=SEND_JOB, payload={"room_id": room.id, "test": True}, now=now)


def _audit(
    session: Session, actor: Actor, now: datetime, action: str, room: ChatRoom, **extra: Any
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="chat_room",
        object_id=room.id,
        changes={"name": room.name, "kind": room.kind, "events": room.events, **extra},
        now=now,
    )


def _announce(session: Session, incident: Incident, event: TimelineEvent) -> None:
    if event.kind not in EVENTS or incident.restricted or not may_notify(incident):
        return
    for room in rooms(session):
        if event.kind in room.events:
            queue.enqueue(
                session,
                kind=SEND_JOB,
                payload={"room_id": room.id, "event_id": event.id},
                now=event.recorded_at,
                idempotency_key=f"{SEND_JOB}:{room.id}:{event.id}",
            )


on_event(_announce)
