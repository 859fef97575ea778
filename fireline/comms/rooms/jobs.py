"""``rooms.send``: one message to one chat room (a test, or an incident's
event), sent outside the job's transaction; the room keeps the outcome."""

from __future__ import annotations

from typing import Any

from fireline.comms import channels
from fireline.comms.channels.base import Delivery, Message
from fireline.comms.rooms import service
from fireline.comms.rooms.models import ChatRoom
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler
from fireline.incidents.models import Incident, TimelineEvent


class RoomNotReached(EffectNotDone):
    """The chat service may take it later: the job is retried."""


def event_message(incident: Incident, event: TimelineEvent, base_url: str) -> Message:
    what = service.EVENTS.get(event.kind, event.kind)
    detail = event.body or f"{incident.severity} · {incident.status}"
    return Message(
        title=f"[{incident.ref}] {what}: {incident.title}",
        text=f"{detail}\n\n{incident.severity}, {incident.status}.",
        urgency="high" if event.kind == "declared" else "low",
        link=f"{base_url}/incidents/{incident.ref}",
        kind="incident_event",
    )


def test_message(room: ChatRoom, base_url: str) -> Message:
    return Message(
        title=f"fireline test for {room.name}",
        text="This room will be told of incidents. Nothing to do.",
        urgency="low",
        link=base_url or "",
        kind="test",
    )


@job_handler(service.SEND_JOB)
def send(ctx: JobContext) -> Effect[Delivery] | None:
    session = ctx.session
    room = session.get(ChatRoom, ctx.payload["room_id"])
    if room is None:
        return None
    base = ctx.settings.base_url
    if ctx.payload.get("test"):
        message = test_message(room, base)
    else:
        event = session.get(TimelineEvent, ctx.payload["event_id"])
        incident = session.get(Incident, event.incident_id) if event else None
        if event is None or incident is None or incident.restricted:
            return None
        message = event_message(incident, event, base)
    target: dict[str, Any] = dict(room.target)
    channel = channels.get(room.kind)
    send_context = channels.job_send_context(ctx)
    room_id = room.id
    return Effect(
        perform=lambda: channel.send(message, target, send_context),
        record=lambda later, delivery: _record(later, room_id, delivery),
    )


def _record(ctx: JobContext, room_id: int, delivery: Delivery) -> None:
    room = ctx.session.get(ChatRoom, room_id)
    if room is None:
        return
    if delivery.ok:
        room.last_ok_at = ctx.now
        return
    room.last_error, room.last_error_at = delivery.detail[:500], ctx.now
    if delivery.transient and not ctx.payload.get("test"):
        raise RoomNotReached(delivery.detail)
