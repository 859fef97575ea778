"""The SLA timer handler: a warning or a breach goes on the timeline, and by
e-mail to the commander and the severity's escalation contacts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fireline.core.jobs.registry import JobContext, job_handler
from fireline.exercises.guard import may_notify
from fireline.incidents import paging as _paging  # noqa: F401  (registers incident pages)
from fireline.incidents import service
from fireline.incidents.models import Incident
from fireline.incidents.sla import ClockKind, ClockStatus
from fireline.incidents.sla_timers import SLA_CHECK, clocks
from fireline.notify.email import enqueue_email
from fireline.people.models import User
from fireline.plan import load_effective_plan
from fireline.plan.schema import Plan


@job_handler(SLA_CHECK)
def check_sla(ctx: JobContext) -> None:
    session, payload = ctx.session, ctx.payload
    incident = session.get(Incident, payload["incident_id"])
    if incident is None:
        return
    plan = load_effective_plan(ctx.settings.plan)
    kind = ClockKind(payload["kind"])
    state = next(s for s in clocks(plan, incident, ctx.now) if s.kind is kind)
    if state.deadline is None or state.deadline.isoformat() != payload["deadline"]:
        return  # the severity changed since this timer was set
    breach = payload["phase"] == "breach"
    wanted = {ClockStatus.breached} if breach else {ClockStatus.warning, ClockStatus.breached}
    if state.status not in wanted:
        return  # stopped in time
    event_kind = "sla_breached" if breach else "sla_warning"
    left = "has passed" if breach else f"is {state.deadline.isoformat()}"
    text = f"{kind.value} SLA for {incident.severity}: the deadline {left}"
    service.record_event(
        session,
        incident,
        kind=event_kind,
        principal=None,
        now=ctx.now,
        body=text,
        data={"clock": kind.value, "deadline": payload["deadline"]},
        pinned=breach,
    )
    if not may_notify(incident):
        return  # an exercise: the timeline has it, nobody is mailed
    for address in _recipients(session, plan, incident):
        enqueue_email(
            session,
            to=address,
            subject=f"[{incident.ref}] {incident.severity} {kind.value} SLA {'breached' if breach else 'warning'}: {incident.title}",
            body=f"{text}.\n\n{incident.ref}: {incident.title}\nStatus: {incident.status}\n",
            now=ctx.now,
            idempotency_key=f"{event_kind}:{incident.id}:{kind.value}:{payload['deadline']}:{address}",
        )


def _recipients(session: Session, plan: Plan, incident: Incident) -> list[str]:
    found: list[str] = []
    if incident.commander_id:
        commander = session.get(User, incident.commander_id)
        if commander is not None:
            found.append(commander.email)
    for address in plan.severity(incident.severity).escalation_contacts:
        if address not in found:
            found.append(address)
    return found
