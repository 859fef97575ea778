"""E-mail over SMTP, sent from the jobs worker (never from a request).

A job of kind ``notify.email`` carries one message for one recipient; the
job's idempotency key travels as the Message-ID's left part, so a receiver
can drop the duplicate of a retried delivery.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from fireline.core.jobs import queue
from fireline.core.jobs.registry import JobContext, job_handler

KIND = "notify.email"


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
def send_email(ctx: JobContext) -> None:
    settings = ctx.settings
    if not settings.smtp_host:
        raise RuntimeError("no SMTP server is configured (FIRELINE_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ctx.payload["to"]
    message["Subject"] = ctx.payload["subject"]
    message["Date"] = format_datetime(ctx.now)
    message["Message-ID"] = make_msgid(idstring=f"job{ctx.job.id}", domain="fireline")
    message.set_content(ctx.payload["body"])
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)
