"""E-mail over SMTP, sent from the jobs worker (never from a request).

A job of kind ``notify.email`` carries one message for one recipient and
goes out through the e-mail channel (:mod:`fireline.comms.channels.email`),
outside the job's transaction. Its Message-ID comes from the job's
idempotency key, so a receiver can drop the duplicate of a retried delivery.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import Delivery, Message
from fireline.core.jobs import queue
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler

KIND = "notify.email"


class EmailNotSent(EffectNotDone):
    """The job fails and the worker tries it again after a backoff."""


def enqueue_email(
    session: Session, *, to: str, subject: str, body: str, now: datetime, idempotency_key: str
) -> None:
    queue.enqueue(
        session,
        kind=KIND,
        payload={"to": to, "subject": subject, "body": body},
        now=now,
        idempotency_key=idempotency_key,
    )


@job_handler(KIND)
def send_email(ctx: JobContext) -> Effect[Delivery]:
    send_context = channels.job_send_context(ctx)
    if send_context.smtp is None:
        raise EmailNotSent("no SMTP server is configured (FIRELINE_SMTP_HOST)")
    message = Message(
        title=ctx.payload["subject"], text=ctx.payload["body"], urgency="low", kind="notice"
    )
    target = {"address": ctx.payload["to"]}
    channel = channels.get("email")
    return Effect(
        perform=lambda: channel.send(message, target, send_context), record=_raise_unless_sent
    )


def _raise_unless_sent(_ctx: JobContext, delivery: Delivery) -> None:
    if not delivery.ok:
        raise EmailNotSent(delivery.detail)
