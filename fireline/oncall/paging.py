"""Pages in flight: start one for an alert group or an incident, run its
escalation steps from timers, and stop it when someone acknowledges.

Every step and every notification is a job row (see fireline.oncall.jobs):
a step job pages the step's people and queues the next step's timer; a
notify job sends one message through one contact method. Each job carries
the page's ``generation``; acknowledging, re-triggering or escalating by
hand bumps it, so timers of an earlier run find nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput
from fireline.core.jobs import queue
from fireline.oncall import escalation, schedules
from fireline.oncall.models import (
    ContactMethod,
    EscalationPolicy,
    Notification,
    NotificationRule,
    Page,
    Schedule,
)
from fireline.oncall.policies import policy_of
from fireline.people.models import Team, TeamMembership, User

STEP_JOB = "oncall.step"
NOTIFY_JOB = "oncall.notify"
ACK_TIMEOUT_JOB = "oncall.ack_timeout"


@dataclass(frozen=True)
class Subject:
    """What the engine needs from the thing being paged for (an alert group,
    an incident). Its own package registers one, so this module imports
    neither.

    ``state`` matters because the alert pipeline resolves and acknowledges
    groups on the sources' word without calling here: each step and each
    notification asks before waking anyone."""

    # Tell the story on the subject's timeline.
    write: Callable[[Session, int, str, str, datetime, dict[str, Any]], None]
    # "open", "acknowledged" or "resolved".
    state: Callable[[Session, int], str]
    # Acknowledge, resolve or escalate the subject itself, as that person.
    act: Callable[[Session, int, str, Principal, datetime], None]
    # Undo the subject's acknowledgement, saying why: its page runs again.
    reopen: Callable[[Session, int, str, datetime], None]


_subjects: dict[str, Subject] = {}
ACTIONS = ("acknowledge", "resolve", "escalate")


def register_subject(subject_type: str, subject: Subject) -> None:
    _subjects[subject_type] = subject


def act(session: Session, page: Page, action: str, principal: Principal, now: datetime) -> None:
    if action not in ACTIONS:
        raise InvalidInput(f"expected one of {', '.join(ACTIONS)}", field="action")
    subject = _subjects.get(page.subject_type)
    if subject is None:
        raise Conflict(f"pages for {page.subject_type} cannot be acted on here")
    subject.act(session, page.subject_id, action, principal, now)


def still_wanted(session: Session, page: Page, now: datetime) -> bool:
    """False, and the page closed, when its subject was settled elsewhere."""
    subject = _subjects.get(page.subject_type)
    state = subject.state(session, page.subject_id) if subject else "open"
    if state == "open":
        return True
    if state == "resolved":
        resolved(session, page.subject_type, page.subject_id, now)
    else:
        acknowledged(session, page.subject_type, page.subject_id, None, now)
    return False


def note(session: Session, page: Page, kind: str, text: str, now: datetime, **data: Any) -> None:
    note_about(session, PageRef.of(page), kind, text, now, **data)


@dataclass(frozen=True)
class PageRef:
    """A page and its subject, as plain data: what a timeline entry needs."""

    page_id: int
    subject_type: str
    subject_id: int

    @classmethod
    def of(cls, page: Page) -> PageRef:
        return cls(page.id, page.subject_type, page.subject_id)


def note_about(
    session: Session, page: PageRef, kind: str, text: str, now: datetime, **data: Any
) -> None:
    subject = _subjects.get(page.subject_type)
    if subject is not None:
        subject.write(session, page.subject_id, kind, text, now, {"page": page.page_id, **data})


def active_page(session: Session, subject_type: str, subject_id: int) -> Page | None:
    return session.scalar(
        select(Page)
        .where(
            Page.subject_type == subject_type,
            Page.subject_id == subject_id,
            Page.status.in_(("active", "acknowledged")),
        )
        .order_by(Page.id.desc())
        .limit(1)
    )


def start(
    session: Session,
    *,
    subject_type: str,
    subject_id: int,
    title: str,
    urgency: str,
    policy: EscalationPolicy,
    now: datetime,
) -> Page:
    """Copy the policy into a new page and run its first step, in this
    transaction: the first messages are queued the moment the page exists,
    with no timer job in between."""
    page = Page(
        subject_type=subject_type,
        subject_id=subject_id,
        title=title[:1024],
        urgency=urgency,
        policy_id=policy.id,
        policy={**policy_of(policy).snapshot(), "slug": policy.slug, "name": policy.name},
        status="active",
        generation=1,
        # Low urgency notifies the first step's people and stops there.
        escalates=urgency == "high",
        started_at=now,
    )
    session.add(page)
    session.flush()
    note(
        session,
        page,
        "paging",
        f"paging through {policy.name} ({urgency} urgency"
        + ("" if page.escalates else ", no escalation")
        + ")",
        now,
        policy=policy.slug,
    )
    _run_step(session, page, step=0, loop=0, now=now)
    return page


def _queue_step(
    session: Session, page: Page, now: datetime, *, step: int, loop: int, due: datetime
) -> None:
    page.next_step_at = due
    queue.enqueue(
        session,
        kind=STEP_JOB,
        payload={"page_id": page.id, "generation": page.generation, "step": step, "loop": loop},
        now=now,
        due_at=due,
        idempotency_key=f"{STEP_JOB}:{page.id}:{page.generation}:{loop}:{step}",
    )


def run_step(
    session: Session, *, page_id: int, generation: int, step: int, loop: int, now: datetime
) -> None:
    page = session.get(Page, page_id, with_for_update=True)
    if page is None or page.status != "active" or page.generation != generation:
        return  # acknowledged, resolved or restarted since this timer was set
    _run_step(session, page, step, loop, now)


def _run_step(session: Session, page: Page, step: int, loop: int, now: datetime) -> None:
    policy = escalation.policy_from_snapshot(page.policy)
    if step >= len(policy.steps) or not still_wanted(session, page, now):
        return
    page.step, page.loop, page.next_step_at = step, loop, None
    current = policy.steps[step]
    live_policy = session.get(EscalationPolicy, page.policy_id) if page.policy_id else None
    turns_key = f"{step}"
    turns = {
        int(k.partition(":")[2]): v
        for k, v in (live_policy.round_robin if live_policy else {}).items()
        if k.partition(":")[0] == turns_key
    }
    chosen = escalation.recipients(
        current,
        on_call=lambda schedule_id: _on_call(session, schedule_id, now),
        team_members=lambda team_id: _team_members(session, team_id),
        names=lambda kind, ident: _name(session, kind, ident),
        turns=turns,
    )
    if live_policy is not None and chosen.turns:
        live_policy.round_robin = {
            **live_policy.round_robin,
            **{f"{turns_key}:{pos}": nxt for pos, nxt in chosen.turns.items()},
        }
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(chosen.user_ids)))}
    label = f"step {step + 1}" + (f", round {loop + 1}" if loop else "")
    for reason in chosen.empty:
        note(session, page, "page_gap", f"{label}: {reason}", now)
    if page.assigned_user_ids:
        targets: list[int] = list(page.assigned_user_ids)
    else:
        targets = [uid for uid in chosen.user_ids if uid in people and people[uid].is_active]
    for user_id in targets:
        _notify_person(session, page, user_id, step, loop, now, chosen.reasons.get(user_id, ""))
    names = ", ".join(people[u].name for u in targets if u in people) or "nobody"
    note(session, page, "page_step", f"{label}: paging {names}", now, step=step, loop=loop)
    if not page.escalates:
        return
    following = escalation.next_position(policy, step, loop)
    if following is None:
        note(
            session,
            page,
            "page_spent",
            f"{label} was the last: nobody else is paged unless someone escalates",
            now,
        )
        return
    due = now + timedelta(minutes=current.delay_minutes)
    _queue_step(session, page, now, step=following[0], loop=following[1], due=due)


def _notify_person(
    session: Session, page: Page, user_id: int, step: int, loop: int, now: datetime, reason: str
) -> None:
    methods = usable_methods(session, user_id)
    if not methods:
        user = session.get(User, user_id)
        note(
            session,
            page,
            "page_unreachable",
            f"{user.name if user else user_id} has no working contact method",
            now,
            user=user_id,
        )
        return
    rules = [
        escalation.RuleView(
            r.urgency, r.delay_minutes, r.contact_method_id, r.contact_method_id in methods
        )
        for r in session.scalars(
            select(NotificationRule).where(NotificationRule.user_id == user_id)
        )
    ]
    plan = escalation.notification_plan(rules, page.urgency, sorted(methods))
    for delay, method_id in plan:
        queue_notification(
            session,
            page=page,
            user_id=user_id,
            method=methods[method_id],
            step=step,
            now=now,
            due=now + timedelta(minutes=delay),
            key=f"{page.id}:{page.generation}:{loop}:{step}:{user_id}:{method_id}",
            reason=reason,
        )


def usable_methods(session: Session, user_id: int) -> dict[int, ContactMethod]:
    return {
        m.id: m
        for m in session.scalars(
            select(ContactMethod)
            .where(ContactMethod.user_id == user_id, ContactMethod.disabled_at.is_(None))
            .order_by(ContactMethod.id)
        )
    }


def queue_notification(
    session: Session,
    *,
    page: Page | None,
    user_id: int,
    method: ContactMethod,
    step: int,
    now: datetime,
    due: datetime,
    key: str,
    kind: str = "page",
    reason: str = "",
) -> Notification:
    notification = Notification(
        page_id=page.id if page else None,
        user_id=user_id,
        contact_method_id=method.id,
        kind=kind,
        channel=method.kind,
        step=step,
        status="queued",
        detail=reason[:500],
        created_at=now,
    )
    session.add(notification)
    session.flush()
    queue.enqueue(
        session,
        kind=NOTIFY_JOB,
        payload={"notification_id": notification.id},
        now=now,
        due_at=due,
        idempotency_key=f"{NOTIFY_JOB}:{key}",
    )
    return notification


def acknowledged(
    session: Session, subject_type: str, subject_id: int, user_id: int | None, now: datetime
) -> None:
    """The subject was acknowledged (anywhere): stop escalating."""
    page = active_page(session, subject_type, subject_id)
    if page is None or page.status != "active":
        return
    page.status = "acknowledged"
    page.acknowledged_at = now
    page.acknowledged_by_id = user_id
    page.generation += 1
    page.next_step_at = None
    timeout = page.policy.get("ack_timeout_minutes")
    if timeout:
        queue.enqueue(
            session,
            kind=ACK_TIMEOUT_JOB,
            payload={"page_id": page.id, "generation": page.generation},
            now=now,
            due_at=now + timedelta(minutes=timeout),
            idempotency_key=f"{ACK_TIMEOUT_JOB}:{page.id}:{page.generation}",
        )


def resolved(session: Session, subject_type: str, subject_id: int, now: datetime) -> None:
    page = active_page(session, subject_type, subject_id)
    if page is None:
        return
    page.status = "resolved"
    page.resolved_at = now
    page.generation += 1
    page.next_step_at = None


def escalate(session: Session, page: Page, now: datetime) -> None:
    """Run the next step now (or the first again when the policy is spent)."""
    policy = escalation.policy_from_snapshot(page.policy)
    following = escalation.next_position(policy, page.step, page.loop) or (0, page.loop + 1)
    page.status = "active"
    page.acknowledged_at = None
    page.acknowledged_by_id = None
    page.generation += 1
    page.escalates = True
    _queue_step(session, page, now, step=following[0], loop=following[1], due=now)


def reassign(
    session: Session, page: Page, people: list[User], principal: Principal, now: datetime
) -> None:
    """Page these people instead of the policy's, from now on. An
    acknowledged subject is opened again: its new people have to acknowledge."""
    subject = _subjects.get(page.subject_type)
    state = subject.state(session, page.subject_id) if subject else "open"
    if page.status == "resolved" or state == "resolved":
        raise Conflict("the page is resolved", field="page")
    if subject is not None and state == "acknowledged":
        subject.reopen(session, page.subject_id, f"handed on by {principal.name}", now)
    page.assigned_user_ids = [user.id for user in people]
    page.status = "active"
    page.acknowledged_at = None
    page.acknowledged_by_id = None
    page.generation += 1
    note(
        session,
        page,
        "page_reassigned",
        f"{principal.name} reassigned the page to {', '.join(u.name for u in people)}",
        now,
        users=page.assigned_user_ids,
    )
    _queue_step(session, page, now, step=page.step, loop=page.loop, due=now)


def ack_timed_out(session: Session, *, page_id: int, generation: int, now: datetime) -> None:
    page = session.get(Page, page_id, with_for_update=True)
    if page is None or page.status != "acknowledged" or page.generation != generation:
        return
    page.status = "active"
    page.acknowledged_at = None
    page.generation += 1
    subject = _subjects.get(page.subject_type)
    if subject is not None:
        subject.reopen(session, page.subject_id, "acknowledged but not resolved in time", now)
    note(session, page, "ack_timeout", "acknowledged but not resolved in time: paging again", now)
    _queue_step(session, page, now, step=0, loop=0, due=now)


def first_responder(session: Session, policy: EscalationPolicy, now: datetime) -> int | None:
    """Who the policy's first step would page first right now (without taking
    a round-robin turn): the natural commander for a new incident."""
    steps = escalation.policy_from_snapshot(policy_of(policy).snapshot()).steps
    chosen = escalation.recipients(
        steps[0],
        on_call=lambda schedule_id: _on_call(session, schedule_id, now),
        team_members=lambda team_id: _team_members(session, team_id),
        names=lambda kind, ident: _name(session, kind, ident),
        turns={},
    )
    return chosen.user_ids[0] if chosen.user_ids else None


# --- answers the engine needs at one instant ----------------------------------


def _on_call(session: Session, schedule_id: int, now: datetime) -> list[int]:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        return []
    user = schedules.on_call_at(session, schedule, now)
    return [] if user is None else [user]


def _team_members(session: Session, team_id: int) -> list[int]:
    return list(
        session.scalars(
            select(TeamMembership.user_id)
            .where(TeamMembership.team_id == team_id)
            .order_by(TeamMembership.id)
        )
    )


def _name(session: Session, kind: str, ident: int) -> str:
    row: Schedule | Team | None = (
        session.get(Schedule, ident) if kind == "schedule" else session.get(Team, ident)
    )
    return row.name if row is not None else f"{kind} {ident}"
