"""Where Slack sends the app's requests: ``POST /slack/events`` (slash
commands, button presses, shortcuts and events can all use this one URL).

slack-bolt checks every request's signature (and its age, against replays)
with the signing secret, and answers Slack's URL check. Each listener here
answers at once and queues the work; nothing waits on Slack or on a slow
step while Slack waits for its answer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from slack_bolt import Ack, App, BoltRequest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from fireline.comms.slack import commands, jobs, web
from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.errors import NotFound, TooLarge
from fireline.core.jobs import queue

log = logging.getLogger("fireline.slack")
router = APIRouter(prefix="/slack", include_in_schema=False)
MAX_BODY = 1_000_000  # Slack's requests are a few kilobytes
SHORTCUT = "fireline_add_to_timeline"


def build(db: Database, clock: Clock, settings: Settings) -> App:
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        token=settings.slack_bot_token.get_secret_value() or None,
        client=web.client(settings),
        token_verification_enabled=False,
        process_before_response=True,
        logger=log,
    )

    def later(kind: str, payload: dict[str, Any], key: str | None = None) -> None:
        with db.transaction() as session:
            queue.enqueue(session, kind=kind, payload=payload, now=clock.now(), idempotency_key=key)

    @app.command("/fireline")
    def command(ack: Ack, command: dict[str, Any]) -> None:
        try:
            parsed = commands.parse(command.get("text", ""))
        except commands.CommandError as exc:
            ack(response_type="ephemeral", text=str(exc))
            return
        if parsed.name == "help":
            ack(response_type="ephemeral", text=commands.HELP)
            return
        later(
            jobs.COMMAND_JOB,
            {
                "text": command.get("text", ""),
                "user_id": command["user_id"],
                "channel_id": command.get("channel_id", ""),
                "response_url": command.get("response_url", ""),
            },
        )
        ack(response_type="ephemeral", text=f"`/fireline {parsed.name}`: on it.")

    @app.action(re.compile(r"^fireline_(ack|resolve|escalate)$"))
    def page_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        later(
            jobs.PAGE_ACTION_JOB,
            {
                "action_id": action["action_id"],
                "token": str(action.get("value", ""))[:2000],
                "user_id": body["user"]["id"],
                "response_url": body.get("response_url", ""),
            },
        )

    @app.action(re.compile(r"^fireline_incident_(ack|escalate|resolve)$"))
    def incident_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        later(
            jobs.INCIDENT_ACTION_JOB,
            {
                "verb": action["action_id"].removeprefix("fireline_incident_"),
                "ref": str(action.get("value", ""))[:20],
                "user_id": body["user"]["id"],
                "channel_id": body.get("channel", {}).get("id", ""),
                "response_url": body.get("response_url", ""),
            },
        )

    @app.action("fireline_open")
    def open_button(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL, and tells us it did

    @app.shortcut(SHORTCUT)
    def add_to_timeline(ack: Ack, shortcut: dict[str, Any]) -> None:
        ack()
        message = shortcut.get("message", {})
        channel = shortcut.get("channel", {}).get("id", "")
        later(
            jobs.TIMELINE_JOB,
            {
                "channel": channel,
                "ts": message.get("ts", ""),
                "user_id": shortcut["user"]["id"],
                "message_text": str(message.get("text", ""))[:10_000],
                "message_user": message.get("user", ""),
            },
            key=f"{jobs.TIMELINE_JOB}:{channel}:{message.get('ts', '')}",
        )

    @app.event("reaction_added")
    def reaction(event: dict[str, Any]) -> None:
        item = event.get("item", {})
        if event.get("reaction") != settings.slack_timeline_emoji or item.get("type") != "message":
            return
        later(
            jobs.TIMELINE_JOB,
            {
                "channel": item.get("channel", ""),
                "ts": item.get("ts", ""),
                "user_id": event["user"],
            },
            key=f"{jobs.TIMELINE_JOB}:{item.get('channel', '')}:{item.get('ts', '')}",
        )

    @app.event("reaction_removed")
    def reaction_removed() -> None:
        return None  # the note stays: the timeline is append-only

    return app


def _bolt(request: Request) -> App:
    state = request.app.state
    if getattr(state, "slack", None) is None:
        state.slack = build(state.db, state.clock, state.settings)
    app: App = state.slack
    return app


@router.post("/events")
async def events(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not web.configured(settings):
        raise NotFound("the Slack app is not set up here (FIRELINE_SLACK_SIGNING_SECRET)")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge(f"at most {MAX_BODY} bytes")
    bolt_request = BoltRequest(
        body=body.decode("utf-8", errors="replace"),
        query=request.url.query,
        headers={k: [v] for k, v in request.headers.items()},
    )
    # Listeners write to the database: off the event loop.
    answer = await run_in_threadpool(_bolt(request).dispatch, bolt_request)
    headers = {k: v[0] for k, v in answer.headers.items() if v and k.lower() != "content-length"}
    return Response(content=answer.body, status_code=answer.status, headers=headers)
