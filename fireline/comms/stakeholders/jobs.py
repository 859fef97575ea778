"""Jobs of stakeholder updates.

- ``stakeholders.send``: an update was posted; queue a mail per follower and
  audience address, and a chat message per audience room.
- ``stakeholders.chat``: one update to one audience's chat room (Apprise).
- ``stakeholders.check`` (every minute): queue a reminder for each open
  incident whose update is overdue, once per due time.
- ``stakeholders.remind``: the reminder: on the timeline, and by mail to the
  communications lead (the commander when there is none).

Audiences hear of restricted incidents from nobody but the people who may
see them: a restricted incident's updates go to its followers only.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import Delivery, Message
from fireline.comms.stakeholders import service
from fireline.core.jobs import queue
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler, periodic
from fireline.exercises.guard import may_notify
from fireline.incidents.models import Incident, Participant, RoleAssignment, TimelineEvent
from fireline.incidents.service import record_event
from fireline.notify.email import enqueue_email
from fireline.people.models import User
from fireline.plan import load_effective_plan
from fireline.plan.schema import Audience, Plan

log = logging.getLogger("fireline.stakeholders")
CHAT_JOB = "stakeholders.chat"
CHECK_JOB = "stakeholders.check"
REMIND_JOB = "stakeholders.remind"
COMMS_LEAD = "communications_lead"
COMMANDER = "incident_commander"

periodic(CHECK_JOB, timedelta(minutes=1))


class ChatNotSent(EffectNotDone):
    """The chat service may take it later: the job is retried."""


def _audiences(plan: Plan, incident: Incident) -> list[Audience]:
    if incident.restricted:
        return []
    try:
        keys = plan.severity(incident.severity).stakeholders
    except KeyError:
        return []
    return [a for a in plan.audiences if a.key in keys]


def _subject(incident: Incident) -> str:
    return f"[{incident.ref}] {incident.severity} update: {incident.title}"


def _text(incident: Incident, event: TimelineEvent, author: str) -> str:
    return (
        f"{event.body}\n\n{incident.ref}: {incident.title}\n"
        f"Severity {incident.severity}, status {incident.status}. Update from {author}.\n"
    )


@job_handler(service.SEND_JOB)
def send(ctx: JobContext) -> None:
    session = ctx.session
    event = session.get(TimelineEvent, ctx.payload["event_id"])
    if event is None:
        return
    incident = session.get(Incident, event.incident_id)
    if incident is None or not may_notify(incident):
        return
    plan = load_effective_plan(ctx.settings.plan)
    author = session.get(User, event.actor_id) if event.actor_id else None
    text = _text(incident, event, author.name if author else "fireline")
    addresses = _followers(session, incident, skip=event.actor_id)
    for audience in _audiences(plan, incident):
        addresses += [a for a in audience.emails if a not in addresses]
        for index in range(len(audience.chat)):
            queue.enqueue(
                session,
                kind=CHAT_JOB,
                payload={"event_id": event.id, "audience": audience.key, "index": index},
                now=ctx.now,
                idempotency_key=f"{CHAT_JOB}:{event.id}:{audience.key}:{index}",
            )
    for address in addresses:
        enqueue_email(
            session,
            to=address,
            subject=_subject(incident),
            body=text,
            now=ctx.now,
            idempotency_key=f"{service.SEND_JOB}:{event.id}:{address}",
        )


def _followers(session: Session, incident: Incident, skip: int | None) -> list[str]:
    rows = session.scalars(
        select(User.email)
        .join(Participant, Participant.user_id == User.id)
        .where(
            Participant.incident_id == incident.id,
            Participant.kind == "follower",
            User.id != (skip or 0),
        )
        .order_by(User.email)
    )
    return list(rows)


@job_handler(CHAT_JOB)
def chat(ctx: JobContext) -> Effect[Delivery] | None:
    session = ctx.session
    event = session.get(TimelineEvent, ctx.payload["event_id"])
    incident = session.get(Incident, event.incident_id) if event else None
    if event is None or incident is None or incident.restricted:
        return None
    plan = load_effective_plan(ctx.settings.plan)
    try:
        rooms = plan.audience(ctx.payload["audience"]).chat
        url = rooms[ctx.payload["index"]]
    except (KeyError, IndexError):
        return None  # the plan no longer has this room
    author = session.get(User, event.actor_id) if event.actor_id else None
    message = Message(
        title=_subject(incident),
        text=_text(incident, event, author.name if author else "fireline"),
        urgency="low",
        link=f"{ctx.settings.base_url}/incidents/{incident.ref}",
        kind="stakeholder_update",
    )
    target: dict[str, Any] = {"url": url}
    send_context = channels.job_send_context(ctx)
    channel = channels.get("apprise")
    return Effect(perform=lambda: channel.send(message, target, send_context), record=_chat_sent)


def _chat_sent(_ctx: JobContext, delivery: Delivery) -> None:
    if delivery.ok:
        return
    if delivery.transient:
        raise ChatNotSent(delivery.detail)
    log.warning("stakeholder chat message not delivered, not retried: %s", delivery.detail)


@job_handler(CHECK_JOB)
def check(ctx: JobContext) -> None:
    plan = load_effective_plan(ctx.settings.plan)
    with_cadence = [s.key for s in plan.severities if s.update_every.span is not None]
    if not with_cadence:
        return
    open_incidents = ctx.session.scalars(
        select(Incident).where(Incident.is_open, Incident.severity.in_(with_cadence))
    )
    for incident in open_incidents:
        state = service.cadence_of(ctx.session, plan, incident, ctx.now)
        if state.overdue and state.due_at is not None:
            queue.enqueue(
                ctx.session,
                kind=REMIND_JOB,
                payload={"incident_id": incident.id, "due_at": state.due_at.isoformat()},
                now=ctx.now,
                idempotency_key=f"{REMIND_JOB}:{incident.id}:{state.due_at.isoformat()}",
            )


@job_handler(REMIND_JOB)
def remind(ctx: JobContext) -> None:
    session = ctx.session
    incident = session.get(Incident, ctx.payload["incident_id"])
    if incident is None:
        return
    plan = load_effective_plan(ctx.settings.plan)
    state = service.cadence_of(session, plan, incident, ctx.now)
    if not state.overdue or state.due_at is None:
        return  # an update went out since
    if state.due_at.isoformat() != ctx.payload["due_at"]:
        return
    due = f"{state.due_at:%H:%M} UTC"
    record_event(
        session,
        incident,
        kind=service.DUE_KIND,
        principal=None,
        now=ctx.now,
        body=f"A stakeholder update was due at {due} (every {plan.severity(incident.severity).update_every})",
        data={"due_at": ctx.payload["due_at"]},
    )
    if not may_notify(incident):
        return
    for address in _leads(session, incident):
        enqueue_email(
            session,
            to=address,
            subject=f"[{incident.ref}] Stakeholder update due: {incident.title}",
            body=(
                f"The next stakeholder update of {incident.ref} was due at {due}.\n"
                f"Post it: {ctx.settings.base_url}/incidents/{incident.ref}\n"
            ),
            now=ctx.now,
            idempotency_key=f"{REMIND_JOB}:{incident.id}:{ctx.payload['due_at']}:{address}",
        )


def _leads(session: Session, incident: Incident) -> list[str]:
    """The communications lead's address, or the commander's without one."""
    for role in (COMMS_LEAD, COMMANDER):
        found = list(
            session.scalars(
                select(User.email)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(
                    RoleAssignment.incident_id == incident.id,
                    RoleAssignment.role_key == role,
                    RoleAssignment.ended_at.is_(None),
                )
            )
        )
        if found:
            return found
    return []
