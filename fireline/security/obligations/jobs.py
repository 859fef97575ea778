"""Obligation reminders and escalations, run by the jobs worker.

- ``obligation.remind``: a deadline is near. On the timeline, and by e-mail
  to the incident's legal and privacy people and its commander.
- ``obligation.escalate``: a deadline passed with nothing submitted. On the
  timeline (pinned), and by e-mail to the same people and the severity's
  escalation contacts.

Each re-reads the obligation and acts only when its stage is still running
to the deadline the timer was set for (see ``timers``).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fireline.core.jobs.registry import JobContext, job_handler
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident
from fireline.notify.email import enqueue_email
from fireline.people.models import User
from fireline.plan import load_effective_plan
from fireline.plan.schema import Plan
from fireline.security.obligations import tracking
from fireline.security.obligations.clocks import Clock, State
from fireline.security.obligations.models import IncidentObligation
from fireline.security.obligations.summary import time_left
from fireline.security.obligations.timers import ESCALATE, REMIND

# Who hears of an obligation's deadlines on an incident, besides its commander.
NOTIFIED_ROLES = ("legal", "privacy")


@job_handler(REMIND)
def remind(ctx: JobContext) -> None:
    found = _still_running(ctx, {State.open, State.due_soon})
    if found is None:
        return
    plan, row, clock = found
    assert clock.due_at is not None
    left = time_left(clock.due_at - ctx.now)
    text = f"{row.name}, {clock.stage.name.lower()}: due {_when(plan, clock.due_at)}, {left}"
    _tell(ctx, plan, row, clock, text, escalate=False)


@job_handler(ESCALATE)
def escalate(ctx: JobContext) -> None:
    found = _still_running(ctx, {State.missed})
    if found is None:
        return
    plan, row, clock = found
    assert clock.due_at is not None
    text = (
        f"{row.name}, {clock.stage.name.lower()}: the deadline {_when(plan, clock.due_at)}"
        " passed and nothing is recorded as submitted"
    )
    _tell(ctx, plan, row, clock, text, escalate=True)


def _still_running(
    ctx: JobContext, wanted: set[State]
) -> tuple[Plan, IncidentObligation, Clock] | None:
    row = ctx.session.get(IncidentObligation, ctx.payload["obligation_id"])
    if row is None or row.detached_at is not None:
        return None
    plan = load_effective_plan(ctx.settings.plan)
    clock = next(
        (c for c in tracking.clocks_of(plan, row, ctx.now) if c.stage.key == ctx.payload["stage"]),
        None,
    )
    if clock is None or clock.due_at is None:
        return None
    if clock.due_at.isoformat() != ctx.payload["deadline"] or clock.state not in wanted:
        return None  # the deadline moved, or the stage was submitted or no longer applies
    return plan, row, clock


def _tell(
    ctx: JobContext,
    plan: Plan,
    row: IncidentObligation,
    clock: Clock,
    text: str,
    *,
    escalate: bool,
) -> None:
    incident = row.incident
    kind = "obligation_missed" if escalate else "obligation_reminder"
    incidents.record_event(
        ctx.session,
        incident,
        kind=kind,
        principal=None,
        now=ctx.now,
        body=text,
        data={
            "obligation": row.key,
            "stage": clock.stage.key,
            "deadline": ctx.payload["deadline"],
        },
        pinned=escalate,
    )
    subject = (
        f"[{incident.ref}] {'Missed' if escalate else 'Due'}: {row.name},"
        f" {clock.stage.name.lower()}"
    )
    page = f"/incidents/{incident.ref}/obligations"
    if ctx.settings.base_url:
        page = ctx.settings.base_url.rstrip("/") + page
    body = (
        f"{text}.\n\n{incident.ref}: {incident.title}\n"
        f"Record the submission (when, to whom, the reference) on {page}\n"
    )
    for address in recipients(ctx.session, plan, incident, escalate=escalate):
        enqueue_email(
            ctx.session,
            to=address,
            subject=subject,
            body=body,
            now=ctx.now,
            idempotency_key=f"{kind}:{row.id}:{clock.stage.key}:{ctx.job.id}:{address}",
        )


def recipients(session: Session, plan: Plan, incident: Incident, *, escalate: bool) -> list[str]:
    """The incident's legal and privacy role holders and its commander; for
    an escalation, also the severity's escalation contacts."""
    found: list[str] = []
    for assignment in incident.roles:
        if assignment.ended_at is None and assignment.role_key in NOTIFIED_ROLES:
            found.append(assignment.user.email)
    if incident.commander_id is not None:
        commander = session.get(User, incident.commander_id)
        if commander is not None:
            found.append(commander.email)
    if escalate:
        # A severity the plan no longer has: nobody to escalate to by plan.
        with suppress(KeyError):
            found += plan.severity(incident.severity).escalation_contacts
    return list(dict.fromkeys(found))


def _when(plan: Plan, moment: datetime) -> str:
    """The deadline in the organisation's zone, with UTC beside it."""
    local = moment.astimezone(ZoneInfo(plan.organisation.time_zone))
    shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    if local.utcoffset() != timedelta(0):
        shown += f" ({moment.astimezone(UTC):%H:%M} UTC)"
    return shown
