"""The Slack app's work, done by the jobs worker after Slack had its answer.

Calls to Slack happen outside the job's transaction (Effects): looking up
who someone is before acting as them, posting and updating messages after.
A Slack user acts in fireline as the fireline user with the same e-mail
address, with that user's role and visibility; nobody else acts at all.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fireline.comms.channels.base import Delivery, SendContext
from fireline.comms.channels.common import http_outcome, post
from fireline.comms.links import LinkError, verify_action
from fireline.comms.slack import blocks, commands
from fireline.comms.slack.commands import Command
from fireline.comms.slack.models import SlackChannel
from fireline.comms.slack.web import client, configured
from fireline.core.deps import Principal, principal_of
from fireline.core.errors import AppError, InvalidInput
from fireline.core.jobs import queue
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler
from fireline.core.signing import signing_key
from fireline.exercises.guard import may_notify
from fireline.incidents import queries, service
from fireline.incidents.models import Incident, TimelineEvent
from fireline.oncall import paging
from fireline.oncall.models import Page
from fireline.people.models import Role, User
from fireline.plan import load_effective_plan

log = logging.getLogger("fireline.slack")
COMMAND_JOB = "slack.command"
REPLY_JOB = "slack.reply"
PAGE_ACTION_JOB = "slack.page_action"
INCIDENT_ACTION_JOB = "slack.incident_action"
TIMELINE_JOB = "slack.timeline"
CHANNEL_JOB = "slack.channel"
EVENT_JOB = "slack.incident_event"
PAGE_VERBS = {
    "fireline_ack": "acknowledge",
    "fireline_resolve": "resolve",
    "fireline_escalate": "escalate",
}
COMMANDER = "incident_commander"


class SlackUnavailable(EffectNotDone):
    """Slack did not answer as it should; the job is tried again later."""


def _emails(ctx: JobContext, *user_ids: str) -> dict[str, str]:
    """Slack user id -> e-mail address, from users.info (needs users:read.email)."""
    found = {}
    web = client(ctx.settings)
    for user_id in user_ids:
        try:
            profile = web.users_info(user=user_id)["user"]["profile"]
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                continue
            raise
        email = profile.get("email")
        if email:
            found[user_id] = str(email).lower()
    return found


def principal_for(session: Session, email: str | None) -> Principal | None:
    if not email:
        return None
    user = session.scalar(
        select(User).where(func.lower(User.email) == email.lower(), User.is_active.is_(True))
    )
    if user is None:
        return None
    return principal_of(user, "slack")


def _reply(session: Session, ctx: JobContext, response_url: str, text: str, **extra: Any) -> None:
    if response_url:
        queue.enqueue(
            session,
            kind=REPLY_JOB,
            payload={"response_url": response_url, "text": text, **extra},
            now=ctx.now,
        )


@job_handler(REPLY_JOB)
def reply(ctx: JobContext) -> Effect[Delivery]:
    """Answer in the conversation a command or a button came from, through
    the response URL Slack gave with it."""
    payload = ctx.payload
    body = {"response_type": payload.get("response_type", "ephemeral"), "text": payload["text"]}
    if payload.get("replace_original"):
        body["replace_original"] = True
    content = json.dumps(body).encode("utf-8")
    send_context = SendContext(allow_private=ctx.settings.outbound_allow_private)

    def perform() -> Delivery:
        with send_context.client() as http:
            result = post(
                http,
                payload["response_url"],
                content=content,
                headers={"Content-Type": "application/json"},
            )
        return result if isinstance(result, Delivery) else http_outcome(result)

    return Effect(perform=perform, record=_delivered)


def _delivered(_ctx: JobContext, delivery: Delivery) -> None:
    if delivery.transient:
        raise SlackUnavailable(delivery.detail)
    if not delivery.ok:
        log.warning("slack reply not delivered: %s", delivery.detail)


# --- slash commands --------------------------------------------------------------


@job_handler(COMMAND_JOB)
def run_command(ctx: JobContext) -> Effect[dict[str, str]] | None:
    if not configured(ctx.settings):
        return None
    try:
        command = commands.parse(ctx.payload["text"])
    except commands.CommandError:
        return None  # answered when it came in
    people = [ctx.payload["user_id"], *([command.slack_user] if command.slack_user else [])]
    return Effect(
        perform=lambda: _emails(ctx, *people),
        record=lambda later, emails: _act(later, command, emails),
    )


def _act(ctx: JobContext, command: Command, emails: dict[str, str]) -> None:
    session, payload = ctx.session, ctx.payload
    response_url = payload.get("response_url", "")
    principal = principal_for(session, emails.get(payload["user_id"]))
    if principal is None:
        _reply(session, ctx, response_url, "Your Slack account's e-mail is not a fireline user's.")
        return
    try:
        with session.begin_nested():
            text = _perform(session, ctx, principal, command, emails)
    except AppError as exc:
        text = f"Could not {command.name}: {exc.message}"
    _reply(session, ctx, response_url, text)


def _perform(
    session: Session,
    ctx: JobContext,
    principal: Principal,
    command: Command,
    emails: dict[str, str],
) -> str:
    plan = load_effective_plan(ctx.settings.plan)
    if command.name == "declare":
        return _declare(session, ctx, principal, command)
    if not principal.can(Role.responder) and command.name != "status":
        raise InvalidInput(f"this needs the responder role; you are {principal.role.value}")
    incident = _incident(session, principal, command, ctx.payload.get("channel_id", ""))
    if command.name == "status":
        return blocks.status_text(incident, ctx.settings.base_url, _commander(incident))
    if command.name == "sev":
        reason = command.text or "changed from Slack"
        service.change_severity(
            session, plan, principal, ctx.now, incident, command.severity or "", reason
        )
        return f"{incident.ref} is now {incident.severity}."
    if command.name == "ic":
        email = emails.get(command.slack_user or "")
        if not email:
            raise InvalidInput("that Slack user has no e-mail address fireline can see")
        service.assign_role(session, plan, principal, ctx.now, incident, COMMANDER, email)
        return f"{_commander(incident) or email} commands {incident.ref}."
    if command.name == "note":
        service.add_note(session, principal, ctx.now, incident, command.text)
        return f"Noted on {incident.ref}."
    lifecycle = plan.lifecycle_of(incident.type_key)
    if "resolved" not in lifecycle.states:
        raise InvalidInput("its lifecycle has no resolved state: move it on in fireline")
    service.change_status(session, plan, principal, ctx.now, incident, "resolved")
    return f"{incident.ref} is resolved."


def _declare(session: Session, ctx: JobContext, principal: Principal, command: Command) -> str:
    plan = load_effective_plan(ctx.settings.plan)
    if not principal.can(Role.responder):
        raise InvalidInput(f"declaring needs the responder role; you are {principal.role.value}")
    declaration = service.Declaration(
        title=command.text, type=plan.incident_types[0].key, severity=command.severity
    )
    incident, _ = service.declare(session, plan, principal, ctx.now, declaration)
    link = f"{ctx.settings.base_url}/incidents/{incident.ref}"
    return (
        f"Declared <{link}|{incident.ref}> {incident.severity}: {incident.title}. You command it."
    )


def _incident(session: Session, principal: Principal, command: Command, channel: str) -> Incident:
    ref = command.incident_ref
    if ref is None:
        found = session.scalar(
            select(SlackChannel.incident_id).where(SlackChannel.channel_id == channel)
        )
        if found is None:
            raise InvalidInput("name the incident (INC-42), or use its own channel")
        ref = f"INC-{found}"
    return queries.get_visible(session, principal, ref)


def _commander(incident: Incident) -> str | None:
    return incident.commander.name if incident.commander else None


# --- buttons ------------------------------------------------------------------------


@job_handler(PAGE_ACTION_JOB)
def page_action(ctx: JobContext) -> None:
    """A page's button: its value is the page's signed one-click token, so
    the press acts exactly as the link would (as the person paged)."""
    session, payload = ctx.session, ctx.payload
    response_url = payload.get("response_url", "")
    verb = PAGE_VERBS.get(payload["action_id"])
    try:
        claim = verify_action(signing_key(session, ctx.settings), payload["token"], ctx.now)
    except (LinkError, ValueError) as exc:
        _reply(session, ctx, response_url, str(exc))
        return
    page = session.get(Page, claim.subject_id)
    principal = _principal_by_id(session, claim.user_id)
    if verb is None or page is None or principal is None or claim.subject != "page":
        _reply(session, ctx, response_url, "This page or its person is gone.")
        return
    try:
        with session.begin_nested():
            paging.act(session, page, verb, principal, ctx.now)
    except AppError as exc:
        _reply(session, ctx, response_url, f"Could not {verb}: {exc.message}")
        return
    done = {"acknowledge": "Acknowledged", "resolve": "Resolved", "escalate": "Escalated"}[verb]
    _reply(session, ctx, response_url, f"{done} by {principal.name}: {page.title}")


def _principal_by_id(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return principal_of(user, "slack")


@job_handler(INCIDENT_ACTION_JOB)
def incident_action(ctx: JobContext) -> Effect[dict[str, str]] | None:
    """A button of an incident channel's header: resolve the incident, or
    acknowledge or escalate its page, as the Slack user who pressed it."""
    if not configured(ctx.settings):
        return None
    verb, user = ctx.payload.get("verb", "resolve"), ctx.payload["user_id"]
    if verb == "resolve":
        command = Command("resolve", incident_ref=ctx.payload["ref"])
        return Effect(
            perform=lambda: _emails(ctx, user),
            record=lambda later, emails: _act(later, command, emails),
        )
    return Effect(
        perform=lambda: _emails(ctx, user),
        record=lambda later, emails: _act_on_page(later, verb, emails),
    )


def _act_on_page(ctx: JobContext, verb: str, emails: dict[str, str]) -> None:
    session, payload = ctx.session, ctx.payload
    response_url = payload.get("response_url", "")
    action = {"ack": "acknowledge", "escalate": "escalate"}.get(verb)
    principal = principal_for(session, emails.get(payload["user_id"]))
    if principal is None or action is None:
        _reply(session, ctx, response_url, "Your Slack account's e-mail is not a fireline user's.")
        return
    try:
        with session.begin_nested():
            incident = queries.get_visible(session, principal, payload["ref"])
            page = paging.active_page(session, "incident", incident.id)
            if page is None:
                raise InvalidInput(f"nobody is being paged for {incident.ref}")
            paging.act(session, page, action, principal, ctx.now)
    except AppError as exc:
        _reply(session, ctx, response_url, f"Could not {action}: {exc.message}")
        return
    _reply(session, ctx, response_url, f"{principal.name}: {action}d the page for {incident.ref}.")


# --- messages to the timeline -------------------------------------------------------


@dataclass(frozen=True)
class _Message:
    text: str
    author: str  # the Slack user id who wrote it
    emails: dict[str, str]


@job_handler(TIMELINE_JOB)
def to_timeline(ctx: JobContext) -> Effect[_Message] | None:
    """A message in an incident's channel added to its timeline, by the
    message shortcut or the configured emoji reaction, as the person who
    asked for it."""
    if not configured(ctx.settings):
        return None
    payload = ctx.payload
    channel = payload["channel"]
    incident_id = ctx.session.scalar(
        select(SlackChannel.incident_id).where(SlackChannel.channel_id == channel)
    )
    if incident_id is None:
        return None  # not an incident's channel

    def fetch() -> _Message:
        text, author = payload.get("message_text"), payload.get("message_user")
        if text is None:
            found = client(ctx.settings).conversations_history(
                channel=channel, latest=payload["ts"], inclusive=True, limit=1
            )["messages"]
            if not found:
                return _Message("", "", {})
            text, author = found[0].get("text", ""), found[0].get("user", "")
        return _Message(str(text), str(author or ""), _emails(ctx, payload["user_id"]))

    return Effect(perform=fetch, record=lambda later, m: _note(later, incident_id, m))


def _note(ctx: JobContext, incident_id: int, message: _Message) -> None:
    session = ctx.session
    principal = principal_for(session, message.emails.get(ctx.payload["user_id"]))
    incident = session.get(Incident, incident_id)
    if principal is None or incident is None or not message.text.strip():
        return
    try:
        incident = queries.get_visible(session, principal, incident.ref)
    except AppError:
        return
    event = service.add_note(
        session, principal, ctx.now, incident, f"From Slack: {message.text}"[:10_000]
    )
    event.data = {"slack_channel": ctx.payload["channel"], "slack_ts": ctx.payload["ts"]}


# --- an incident's channel ----------------------------------------------------------


@dataclass(frozen=True)
class _Opened:
    channel_id: str
    header_ts: str


@job_handler(CHANNEL_JOB)
def open_channel(ctx: JobContext) -> Effect[_Opened] | None:
    settings = ctx.settings
    if not (configured(settings) and settings.slack_incident_channels):
        return None
    incident = ctx.session.get(Incident, ctx.payload["incident_id"])
    if incident is None or incident.restricted:
        return None
    if ctx.session.scalar(select(SlackChannel.id).where(SlackChannel.incident_id == incident.id)):
        return None
    name = blocks.channel_name(incident)
    header = blocks.header(incident, settings.base_url, _commander(incident))
    fallback = blocks.header_text(incident)
    commander = incident.commander.email if incident.commander else None
    web = client(settings)

    def perform() -> _Opened:
        channel = _create(web, name)
        posted = web.chat_postMessage(channel=channel, text=fallback, blocks=header)
        web.pins_add(channel=channel, timestamp=posted["ts"])
        if commander:
            _invite(web, channel, commander)
        return _Opened(channel, str(posted["ts"]))

    incident_id = incident.id
    return Effect(perform=perform, record=lambda later, o: _opened(later, incident_id, o))


def _create(web: Any, name: str) -> str:
    for attempt in range(5):
        candidate = name if attempt == 0 else f"{name[:76]}-{attempt + 1}"
        try:
            return str(web.conversations_create(name=candidate)["channel"]["id"])
        except SlackApiError as exc:
            if exc.response.get("error") != "name_taken":
                raise
    raise SlackUnavailable(f"every channel name like {name} is taken")


def _invite(web: Any, channel: str, email: str) -> None:
    try:
        user = web.users_lookupByEmail(email=email)["user"]["id"]
        web.conversations_invite(channel=channel, users=user)
    except SlackApiError as exc:  # not in Slack, or in the channel already
        log.info("slack invite skipped: %s", exc.response.get("error"))


def _opened(ctx: JobContext, incident_id: int, opened: _Opened) -> None:
    ctx.session.add(
        SlackChannel(
            incident_id=incident_id,
            channel_id=opened.channel_id,
            header_ts=opened.header_ts,
            created_at=ctx.now,
        )
    )
    incident = ctx.session.get(Incident, incident_id)
    if incident is not None:
        service.record_event(
            ctx.session,
            incident,
            kind="slack_channel",
            principal=None,
            now=ctx.now,
            body=f"Slack channel #{opened.channel_id} opened",
            data={"channel": opened.channel_id},
        )


@job_handler(EVENT_JOB)
def post_event(ctx: JobContext) -> Effect[None] | None:
    """An event of an incident that has a channel: posted there, and the
    pinned header brought up to date."""
    if not configured(ctx.settings):
        return None
    session = ctx.session
    event = session.get(TimelineEvent, ctx.payload["event_id"])
    if event is None:
        return None
    room = session.scalar(select(SlackChannel).where(SlackChannel.incident_id == event.incident_id))
    incident = session.get(Incident, event.incident_id)
    if room is None or incident is None:
        return None
    who = event.actor.name if event.actor else None
    text = blocks.event_text(incident, event.kind, event.body, who)
    header = blocks.header(incident, ctx.settings.base_url, _commander(incident))
    fallback = blocks.header_text(incident)
    channel, header_ts = room.channel_id, room.header_ts
    web = client(ctx.settings)

    def perform() -> None:
        web.chat_postMessage(channel=channel, text=text)
        if header_ts:
            web.chat_update(channel=channel, ts=header_ts, text=fallback, blocks=header)

    return Effect(perform=perform, record=_nothing)


def _nothing(_ctx: JobContext, _result: object) -> None:
    return None


# Events worth telling an incident's channel of.
CHANNEL_EVENTS = frozenset(
    {
        "status_changed",
        "severity_changed",
        "type_changed",
        "role_assigned",
        "note",
        "stakeholder_update",
        "public_update",
        "milestone_set",
    }
)


def on_incident_event(session: Session, incident: Incident, event: TimelineEvent) -> None:
    """Queue Slack's share of an incident's event: a channel for a new
    incident, a post (and a fresh header) for later events. Notes that came
    from Slack are not posted back. Exercises stay out of Slack unless their run allows."""
    if not may_notify(incident):
        return
    if event.kind == "declared" and not incident.restricted:
        queue.enqueue(
            session,
            kind=CHANNEL_JOB,
            payload={"incident_id": incident.id},
            now=event.recorded_at,
            idempotency_key=f"{CHANNEL_JOB}:{incident.id}",
        )
        return
    if event.kind not in CHANNEL_EVENTS or event.body.startswith("From Slack:"):
        return
    if session.scalar(select(SlackChannel.id).where(SlackChannel.incident_id == incident.id)):
        queue.enqueue(
            session, kind=EVENT_JOB, payload={"event_id": event.id}, now=event.recorded_at
        )


service.on_event(on_incident_event)
