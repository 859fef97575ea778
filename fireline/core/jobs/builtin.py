"""Built-in job kinds of the foundation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from fireline.core.jobs.registry import JobContext, job_handler, periodic
from fireline.people.models import LoginFailure, WebSession

HOUSEKEEPING = "fireline.housekeeping"
LOGIN_FAILURE_RETENTION = timedelta(days=1)
periodic(HOUSEKEEPING, timedelta(hours=1))


@job_handler(HOUSEKEEPING)
def housekeeping(ctx: JobContext) -> None:
    """Drop expired web sessions and failed-login records past any rate-limit window."""
    ctx.session.execute(delete(WebSession).where(WebSession.expires_at < ctx.now))
    cutoff = ctx.now - LOGIN_FAILURE_RETENTION
    ctx.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
