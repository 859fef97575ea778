"""The on-call engine's jobs: escalation step timers, acknowledgement
timeouts, and sending one notification through one contact method.

A send that fails transiently (timeouts, 5xx, 429) is tried again after a
backoff; when a method fails for good, or runs out of attempts, the person's
next contact method is tried so that one broken channel never leaves them
unpaged. Every attempt and its outcome goes on the page's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import Delivery, Message
from fireline.comms.links import sign_action
from fireline.core.config import Settings
from fireline.core.jobs import queue
from fireline.core.jobs.backoff import retry_delay
from fireline.core.jobs.registry import Effect, JobContext, job_handler
from fireline.core.signing import signing_key
from fireline.oncall import paging
from fireline.oncall.models import ContactMethod, Notification, Page
from fireline.oncall.page_access import subject_path

LINK_LIFETIME = timedelta(hours=24)
# Sends through one contact method before the person's next one is tried.
SEND_ATTEMPTS = 3


@job_handler(paging.STEP_JOB)
def step(ctx: JobContext) -> None:
    p = ctx.payload
    paging.run_step(
        ctx.session,
        page_id=p["page_id"],
        generation=p["generation"],
        step=p["step"],
        loop=p["loop"],
        now=ctx.now,
    )


@job_handler(paging.ACK_TIMEOUT_JOB)
def ack_timeout(ctx: JobContext) -> None:
    paging.ack_timed_out(
        ctx.session,
        page_id=ctx.payload["page_id"],
        generation=ctx.payload["generation"],
        now=ctx.now,
    )


@job_handler(paging.NOTIFY_JOB)
def notify(ctx: JobContext) -> Effect[Delivery] | None:
    """Build the message in the job's transaction; the worker sends it outside
    (beside other messages) and then calls :func:`_delivered`."""
    session = ctx.session
    notification = session.get(Notification, ctx.payload["notification_id"])
    if notification is None or notification.status != "queued":
        return None
    page = session.get(Page, notification.page_id) if notification.page_id else None
    if notification.kind == "page" and (
        page is None or page.status != "active" or not paging.still_wanted(session, page, ctx.now)
    ):
        notification.status = "skipped"
        notification.detail = "not sent: acknowledged or resolved first"
        return None
    method = session.get(ContactMethod, notification.contact_method_id)
    if method is None or method.disabled_at is not None:
        notification.status = "skipped"
        notification.detail = "the contact method was removed"
        _try_next_method(session, notification, page, ctx)
        return None
    message = build_message(session, ctx.settings, notification, page, method)
    channel = channels.get(method.kind)
    target, send_context = dict(method.target), channels.job_send_context(ctx)
    sending = _Sending(
        notification.id,
        method.id,
        method.user_id,
        method.kind,
        f"{method.user.name} by {method.label}",
        paging.PageRef.of(page) if page is not None else None,
    )
    return Effect(
        perform=lambda: channel.send(message, target, send_context),
        record=lambda later, delivery: _delivered(later, sending, delivery),
    )


@dataclass(frozen=True)
class _Sending:
    """What recording a send needs, taken while its message was built, so
    that the common outcome (sent) is written without loading anything."""

    notification_id: int
    method_id: int
    user_id: int
    channel: str
    who: str  # "Ana by Work e-mail"
    page: paging.PageRef | None


def _delivered(ctx: JobContext, sending: _Sending, delivery: Delivery) -> None:
    """Record one attempt's outcome: sent, a retry of our own, or the
    person's next contact method."""
    if delivery.ok:
        _sent(ctx, sending, delivery)
        return
    session = ctx.session
    notification = session.get(Notification, sending.notification_id)
    if notification is None:
        return
    page = session.get(Page, notification.page_id) if notification.page_id else None
    method = session.get(ContactMethod, notification.contact_method_id)
    if method is None:
        notification.status, notification.detail = "failed", delivery.detail[:500]
        return
    notification.attempts += 1
    method.last_error = delivery.detail[:500]
    method.last_error_at = ctx.now
    who = f"{method.user.name} by {method.label}"
    if delivery.transient and notification.attempts < SEND_ATTEMPTS:
        # A retry of our own rather than the worker's, so that this attempt
        # and its outcome are committed to the timeline too.
        wait = retry_delay(notification.attempts)
        if page is not None:
            paging.note(
                session,
                page,
                "notify_retry",
                f"{who}: {delivery.detail}; trying again in {wait.total_seconds():.0f} s",
                ctx.now,
                user=method.user_id,
                channel=method.kind,
            )
        queue.enqueue(
            session,
            kind=paging.NOTIFY_JOB,
            payload={"notification_id": notification.id},
            now=ctx.now,
            due_at=ctx.now + wait,
            idempotency_key=f"{paging.NOTIFY_JOB}:retry:{notification.id}:{notification.attempts}",
        )
        return
    notification.status = "failed"
    notification.detail = delivery.detail[:500]
    if page is not None:
        paging.note(
            session,
            page,
            "notify_failed",
            f"{who}: {delivery.detail}",
            ctx.now,
            user=method.user_id,
            channel=method.kind,
        )
    _try_next_method(session, notification, page, ctx)


def _note_method_works(session: Session, method_id: int, now: datetime) -> None:
    """Stamp ``last_ok_at``. Workers recording messages to one person at once
    all stamp the same row; on PostgreSQL one that another transaction is
    stamping right now is passed over (it gets the same moment, give or take),
    since waiting for it can lock two workers' records into each other."""
    method = select(ContactMethod.id).where(ContactMethod.id == method_id)
    if session.get_bind().dialect.name == "postgresql":
        method = method.with_for_update(skip_locked=True, key_share=True)
    session.execute(
        update(ContactMethod)
        .where(ContactMethod.id.in_(method.scalar_subquery()))
        .values(last_ok_at=now)
        .execution_options(synchronize_session=False)
    )


def _sent(ctx: JobContext, sending: _Sending, delivery: Delivery) -> None:
    session, now = ctx.session, ctx.now
    session.execute(
        update(Notification)
        .where(Notification.id == sending.notification_id)
        .values(
            status="sent",
            sent_at=now,
            detail=delivery.detail[:500],
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    _note_method_works(session, sending.method_id, now)
    if sending.page is not None:
        paging.note_about(
            session,
            sending.page,
            "notified",
            f"notified {sending.who}",
            now,
            user=sending.user_id,
            channel=sending.channel,
        )


def _try_next_method(
    session: Session, failed: Notification, page: Page | None, ctx: JobContext
) -> None:
    """Queue the person's next contact method not yet tried for this page."""
    if page is None or failed.kind != "page":
        return
    tried = set(
        session.scalars(
            select(Notification.contact_method_id).where(
                Notification.page_id == page.id, Notification.user_id == failed.user_id
            )
        )
    )
    for method in paging.usable_methods(session, failed.user_id).values():
        if method.id not in tried:
            paging.queue_notification(
                session,
                page=page,
                user_id=failed.user_id,
                method=method,
                step=failed.step,
                now=ctx.now,
                due=ctx.now,
                key=f"{page.id}:{page.generation}:fallback:{failed.id}:{method.id}",
                reason=f"after {failed.channel} failed",
            )
            return
    paging.note(
        session,
        page,
        "page_unreachable",
        "every contact method failed for this person",
        ctx.now,
        user=failed.user_id,
    )


def build_message(
    session: Session,
    settings: Settings,
    notification: Notification,
    page: Page | None,
    method: ContactMethod,
) -> Message:
    base = settings.base_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    key = signing_key(session, settings)
    expires = notification.created_at + LINK_LIFETIME
    if notification.kind == "verify":
        token = sign_action(key, "verify", "contact_method", method.id, method.user_id, expires)
        return Message(
            title="Confirm your fireline contact method",
            text=(
                f"fireline will use {method.label} to page you.\n"
                f"Confirm that it reaches you: {base}/act/{token}\n"
                "The link works for 24 hours."
            ),
            urgency="low",
            link=f"{base}/act/{token}",
            idempotency_key=f"notification-{notification.id}",
            kind="verify",
        )
    if page is None:
        return Message(
            title="fireline test message",
            text=f"This is a test of {method.label}. If you read this, fireline can reach you.",
            urgency="low",
            link=f"{base}/oncall/me",
            idempotency_key=f"notification-{notification.id}",
            kind=notification.kind,
        )
    ack = sign_action(key, "ack", "page", page.id, notification.user_id, expires)
    resolve = sign_action(key, "resolve", "page", page.id, notification.user_id, expires)
    escalate = sign_action(key, "escalate", "page", page.id, notification.user_id, expires)
    link = subject_link(base, page)
    return Message(
        title=f"[{page.urgency.upper()}] {page.title}",
        text=(
            f"{page.title}\n\nYou are paged through {page.policy.get('name', 'an escalation policy')}.\n"
            f"Open: {link}\nAcknowledge: {base}/act/{ack}\nResolve: {base}/act/{resolve}\n"
        ),
        urgency=page.urgency,
        link=link,
        ack_url=f"{base}/act/{ack}",
        resolve_url=f"{base}/act/{resolve}",
        escalate_url=f"{base}/act/{escalate}",
        idempotency_key=f"notification-{notification.id}",
        kind="page",
    )


def subject_link(base: str, page: Page) -> str:
    return f"{base}{subject_path(page) or '/oncall/pages'}"
