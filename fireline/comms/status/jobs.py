"""Jobs of the status page.

- ``status.confirm``: the double opt-in mail of a new e-mail subscriber.
- ``status.notify``: an update was posted; queue one delivery per subscriber
  it concerns (each its own job, retried on its own).
- ``status.deliver``: one update to one subscriber, by e-mail or webhook.
- ``status.maintenance``: a maintenance's start or end time came; start or
  complete it unless someone already did.

Sending happens outside the job's transaction (an Effect): a slow mail server
or webhook holds no lock.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import Delivery, Message
from fireline.comms.channels.common import http_outcome, post
from fireline.comms.status import components, messages, queries, service, subscriptions
from fireline.comms.status.models import PublicIncident, PublicUpdate, Subscriber
from fireline.comms.status.statuspage_api import Shape
from fireline.core.jobs import queue
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler
from fireline.core.signing import signing_key

log = logging.getLogger("fireline.status")
DELIVER_JOB = "status.deliver"


class NotDelivered(EffectNotDone):
    """A delivery that may work later: the job is retried."""


def _sending(kind: str, message: Message, target: dict[str, Any], ctx: JobContext) -> Effect[Any]:
    channel, send_context = channels.get(kind), channels.job_send_context(ctx)
    return Effect(
        perform=lambda: channel.send(message, target, send_context),
        record=lambda _later, delivery: _outcome(ctx.job.kind, delivery),
    )


def _posting(url: str, body: dict[str, Any], ctx: JobContext) -> Effect[Any]:
    """POST a Statuspage-shaped webhook through the one outbound client (its
    guard keeps subscribers' URLs off internal addresses)."""
    send_context = channels.job_send_context(ctx)
    content = json.dumps(body, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": send_context.idempotency_key,
        "User-Agent": "fireline-status",
    }

    def perform() -> Delivery:
        with send_context.client() as client:
            result = post(client, url, content=content, headers=headers)
        return result if isinstance(result, Delivery) else http_outcome(result)

    return Effect(perform=perform, record=lambda _later, delivery: _outcome(ctx.job.kind, delivery))


def webhook_body(
    session: Session, base_url: str, update: PublicUpdate, unsubscribe_token: str
) -> dict[str, Any]:
    """An update as Atlassian Statuspage's incident webhooks carry it (``meta``,
    ``page``, ``incident`` as its JSON API shows it), so that a receiver
    written for Statuspage reads it unchanged."""
    snapshot = queries.load(session)
    shape = Shape(snapshot, base_url)
    return {
        "meta": {
            "unsubscribe": f"{base_url}/status/unsubscribe/{unsubscribe_token}",
            "documentation": f"{base_url}/status",
        },
        "page": {
            "id": snapshot.settings.code,
            "status_indicator": snapshot.overall.indicator,
            "status_description": snapshot.overall.description,
        },
        "incident": shape.incident(update.incident),
    }


def _outcome(kind: str, delivery: Delivery) -> None:
    if delivery.ok:
        return
    if delivery.transient:
        raise NotDelivered(delivery.detail)
    # A bounced address or a webhook that says no: retrying will not help.
    log.warning("kind=%s not delivered, not retried: %s", kind, delivery.detail)


@job_handler(subscriptions.CONFIRM_JOB)
def confirm_mail(ctx: JobContext) -> Effect[Any] | None:
    subscriber = ctx.session.get(Subscriber, ctx.payload["subscriber_id"])
    if subscriber is None or subscriber.confirmed_at is not None:
        return None
    key = signing_key(ctx.session, ctx.settings)
    page = components.page_settings(ctx.session, ctx.now)
    message = messages.confirmation(
        page, ctx.settings.base_url, subscriptions.link_token(key, subscriber, "confirm")
    )
    return _sending("email", message, {"address": subscriber.target}, ctx)


@job_handler(service.NOTIFY_JOB)
def notify_subscribers(ctx: JobContext) -> None:
    update = ctx.session.get(PublicUpdate, ctx.payload["update_id"])
    if update is None:
        return
    for subscriber in subscriptions.audience(ctx.session, update.incident):
        queue.enqueue(
            ctx.session,
            kind=DELIVER_JOB,
            payload={"update_id": update.id, "subscriber_id": subscriber.id},
            now=ctx.now,
            idempotency_key=f"{DELIVER_JOB}:{update.id}:{subscriber.id}",
        )


@job_handler(DELIVER_JOB)
def deliver(ctx: JobContext) -> Effect[Any] | None:
    session = ctx.session
    update = session.get(PublicUpdate, ctx.payload["update_id"])
    subscriber = session.get(Subscriber, ctx.payload["subscriber_id"])
    if update is None or subscriber is None or subscriber.confirmed_at is None:
        return None  # unsubscribed since
    key = signing_key(session, ctx.settings)
    unsubscribe = subscriptions.link_token(key, subscriber, "unsubscribe")
    page = components.page_settings(session, ctx.now)
    base = ctx.settings.base_url
    if subscriber.kind == "webhook":
        body = webhook_body(session, base, update, unsubscribe)
        return _posting(subscriber.target, body, ctx)
    message = messages.update_mail(page, base, update, unsubscribe)
    return _sending("email", message, {"address": subscriber.target}, ctx)


@job_handler(service.MAINTENANCE_JOB)
def maintenance_timer(ctx: JobContext) -> None:
    maintenance = ctx.session.get(PublicIncident, ctx.payload["maintenance_id"])
    status = ctx.payload["status"]
    if maintenance is None or not _still_to_do(ctx.session, maintenance, status):
        return
    body = (
        "The scheduled maintenance is in progress."
        if status == "in_progress"
        else "The scheduled maintenance is complete."
    )
    service.post_update(ctx.session, None, ctx.now, maintenance, status=status, body=body)


def _still_to_do(session: Session, maintenance: PublicIncident, status: str) -> bool:
    """A timer does nothing once people moved the maintenance on themselves."""
    if status == "in_progress":
        return maintenance.status == "scheduled"
    return maintenance.status in ("scheduled", "in_progress", "verifying")
