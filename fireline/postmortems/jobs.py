"""Timers for post-mortems and action items.

- ``postmortem.require``: queued when an incident resolves; drafts the
  post-mortem if the plan requires one for its severity.
- ``postmortem.remind``: before and at the due date, and the day after
  (overdue): the commander by e-mail, a note on the timeline.
- ``action_item.schedule``: queued whenever an item is added or changed;
  sets the item's reminder and overdue timers from its due date.
- ``action_item.remind`` and ``action_item.overdue``: the owner is reminded
  before the due date; when overdue, the leads of the owner's teams are told.

Every timer re-reads its row when it fires and acts only if the row is still
open with the same due date, so a stale timer does nothing.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.jobs import queue
from fireline.core.jobs.registry import JobContext, job_handler
from fireline.exercises.guard import may_notify
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.models import ActionItem, Incident
from fireline.notify.email import enqueue_email
from fireline.people.models import TeamMembership, User
from fireline.plan import load_effective_plan
from fireline.postmortems import schedule, service, workflow
from fireline.postmortems.models import PostMortem

ITEM_REMIND = "action_item.remind"
ITEM_OVERDUE = "action_item.overdue"
ITEM_REMIND_DAYS = 2  # the owner hears of an item this many days before it is due


@job_handler(service.REQUIRE)
def require_postmortem(ctx: JobContext) -> None:
    session = ctx.session
    incident = session.get(Incident, ctx.payload["incident_id"])
    if incident is None or incident.resolved_at is None or incident.is_exercise:
        return
    plan = load_effective_plan(ctx.settings.plan)
    if not plan.postmortem.requires(incident.severity) or service.get(session, incident):
        return
    postmortem = service.draft(session, plan, None, ctx.now, incident)
    commander = _commander(session, incident)
    if commander is not None:
        enqueue_email(
            session,
            to=commander.email,
            subject=f"[{incident.ref}] Post-mortem due {postmortem.due_date}: {incident.title}",
            body=f"{incident.ref} ({incident.severity}) is resolved and needs a blameless"
            f" post-mortem by {postmortem.due_date}. A first draft from the timeline is"
            f" waiting at /postmortems/{incident.ref}\n",
            now=ctx.now,
            idempotency_key=f"postmortem-required:{postmortem.id}",
        )


@job_handler(service.REMIND)
def remind_postmortem(ctx: JobContext) -> None:
    session, payload = ctx.session, ctx.payload
    postmortem = session.get(PostMortem, payload["postmortem_id"])
    if postmortem is None or postmortem.status == workflow.PUBLISHED:
        return
    if postmortem.due_date is None or postmortem.due_date.isoformat() != payload["due"]:
        return  # the due date moved; its own timers will fire
    incident = session.get(Incident, postmortem.incident_id)
    assert incident is not None
    overdue = payload["phase"] == "overdue"
    if overdue:
        text = (
            f"The post-mortem was due {payload['due']} and is {postmortem.status.replace('_', ' ')}"
        )
    elif payload["days"] == 0:
        text = f"The post-mortem is due today ({payload['due']})"
    else:
        text = f"The post-mortem is due in {payload['days']} days ({payload['due']})"
    incidents.record_event(
        session,
        incident,
        kind="postmortem_overdue" if overdue else "postmortem_reminder",
        principal=None,
        now=ctx.now,
        body=text,
        data={"postmortem_id": postmortem.id, "due_date": payload["due"]},
    )
    commander = _commander(session, incident)
    if commander is not None and may_notify(incident):
        enqueue_email(
            session,
            to=commander.email,
            subject=f"[{incident.ref}] Post-mortem {'overdue' if overdue else 'reminder'}: {incident.title}",
            body=f"{text}.\n\nIt is at /postmortems/{incident.ref}\n",
            now=ctx.now,
            idempotency_key=f"postmortem-remind:{postmortem.id}:{payload['phase']}:{payload['due']}",
        )


@job_handler(service.SCHEDULE_ITEM)
def schedule_item(ctx: JobContext) -> None:
    session = ctx.session
    item = session.get(ActionItem, ctx.payload["action_item_id"])
    if item is None or item.due_date is None or item.status in work.CLOSED_ITEM_STATUSES:
        return
    plan = load_effective_plan(ctx.settings.plan)
    zone = ZoneInfo(plan.organisation.time_zone)
    due = item.due_date.isoformat()
    timers = [
        (ITEM_REMIND, at)
        for _, at in schedule.reminder_times(
            zone, plan.business_hours.start, item.due_date, [ITEM_REMIND_DAYS], ctx.now
        )
    ]
    timers.append((ITEM_OVERDUE, schedule.overdue_at(zone, item.due_date)))
    for kind, at in timers:
        queue.enqueue(
            session,
            kind=kind,
            payload={"action_item_id": item.id, "due": due},
            now=ctx.now,
            due_at=max(at, ctx.now),
            idempotency_key=f"{kind}:{item.id}:{due}",
        )


def _still_due(session: Session, payload: dict[str, object]) -> ActionItem | None:
    item = session.get(ActionItem, payload["action_item_id"])
    if item is None or item.status in work.CLOSED_ITEM_STATUSES:
        return None
    if item.due_date is None or item.due_date.isoformat() != payload["due"]:
        return None
    return item


@job_handler(ITEM_REMIND)
def remind_item(ctx: JobContext) -> None:
    session = ctx.session
    item = _still_due(session, ctx.payload)
    if item is None:
        return
    incident = session.get(Incident, item.incident_id)
    assert incident is not None and item.due_date is not None
    text = f"Action item due {item.due_date.isoformat()}: {item.title}"
    incidents.record_event(
        session,
        incident,
        kind="action_item_reminder",
        principal=None,
        now=ctx.now,
        body=text,
        data={"action_item_id": item.id, "due_date": item.due_date.isoformat()},
    )
    # An exercise's items are on its timeline; e-mail only if its run chose to notify.
    for person in _owner_or_commander(session, item, incident) if may_notify(incident) else []:
        enqueue_email(
            session,
            to=person.email,
            subject=f"[{incident.ref}] Action item due {item.due_date.isoformat()}: {item.title}",
            body=f"{text}\n\nFrom {incident.ref}: {incident.title}\n",
            now=ctx.now,
            idempotency_key=f"{ITEM_REMIND}:{item.id}:{ctx.payload['due']}:{person.id}",
        )


@job_handler(ITEM_OVERDUE)
def escalate_item(ctx: JobContext) -> None:
    session = ctx.session
    item = _still_due(session, ctx.payload)
    if item is None:
        return
    incident = session.get(Incident, item.incident_id)
    assert incident is not None and item.due_date is not None
    leads = team_leads(session, item.owner_id)
    told = _unique([*_owner_or_commander(session, item, incident), *leads])
    owner = item.owner.name if item.owner else "nobody"
    text = f"Action item overdue since {item.due_date.isoformat()} (owner: {owner}): {item.title}"
    incidents.record_event(
        session,
        incident,
        kind="action_item_overdue",
        principal=None,
        now=ctx.now,
        body=text,
        data={
            "action_item_id": item.id,
            "due_date": item.due_date.isoformat(),
            "escalated_to": [p.id for p in leads],
        },
    )
    for person in told if may_notify(incident) else []:
        enqueue_email(
            session,
            to=person.email,
            subject=f"[{incident.ref}] Overdue action item: {item.title}",
            body=f"{text}\n\nFrom {incident.ref}: {incident.title}. Close it, or agree a new"
            " due date with its owner.\n",
            now=ctx.now,
            idempotency_key=f"{ITEM_OVERDUE}:{item.id}:{ctx.payload['due']}:{person.id}",
        )


def team_leads(session: Session, owner_id: int | None) -> list[User]:
    """The leads of every team the owner belongs to (the owner too, if a lead)."""
    if owner_id is None:
        return []
    teams = select(TeamMembership.team_id).where(TeamMembership.user_id == owner_id)
    query = (
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id.in_(teams), TeamMembership.is_lead.is_(True))
        .order_by(User.id)
    )
    return _unique(list(session.scalars(query)))


def _owner_or_commander(session: Session, item: ActionItem, incident: Incident) -> list[User]:
    if item.owner is not None:
        return [item.owner]
    commander = _commander(session, incident)
    return [commander] if commander is not None else []


def _commander(session: Session, incident: Incident) -> User | None:
    return session.get(User, incident.commander_id) if incident.commander_id else None


def _unique(people: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())
