"""How to reach people: contact methods, notification rules, test messages,
verification, and the warnings about anyone who cannot be reached.

Silent misconfiguration is how pages get lost, so ``reachability_warnings``
is shown on the schedule and policy pages, on each person's profile and by
``fireline oncall check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.comms.channels.base import TargetInvalid
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.oncall import paging
from fireline.oncall.escalation import parse_steps
from fireline.oncall.models import (
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    Schedule,
    ScheduleLayer,
)
from fireline.people.models import TeamMembership, User

URGENCIES = ("high", "low")
MAX_METHODS = 20


def add_method(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    user: User,
    kind: str,
    target: dict[str, Any],
    label: str = "",
) -> ContactMethod:
    """Add a method and send it a verification link (signed, expiring, nothing
    stored): following it proves the method reaches its owner."""
    if kind not in channels.kinds():
        raise InvalidInput(f"expected one of {', '.join(channels.kinds())}", field="kind")
    channel = channels.get(kind)
    try:
        clean = channel.validate_target(target)
    except TargetInvalid as exc:
        raise InvalidInput(exc.message, field=f"target.{exc.field}") from None
    count = len(
        list(session.scalars(select(ContactMethod.id).where(ContactMethod.user_id == user.id)))
    )
    if count >= MAX_METHODS:
        raise Conflict(f"at most {MAX_METHODS} contact methods per person", field="kind")
    method = ContactMethod(
        user_id=user.id,
        kind=kind,
        label=(label.strip() or channel.label)[:200],
        target=clean,
        created_at=now,
    )
    session.add(method)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact_method.added",
        object_type="user",
        object_id=user.id,
        changes={"kind": kind, "target": channel.redact(clean)},
        now=now,
    )
    paging.queue_notification(
        session,
        page=None,
        user_id=user.id,
        method=method,
        step=0,
        now=now,
        due=now,
        key=f"verify:{method.id}",
        kind="verify",
    )
    return method


def verify_method(session: Session, *, actor: Actor, now: datetime, method: ContactMethod) -> None:
    if method.verified_at is not None:
        return
    method.verified_at = now
    audit.record(
        session,
        actor=actor,
        action="contact_method.verified",
        object_type="user",
        object_id=method.user_id,
        changes={"method": method.id},
        now=now,
    )


def send_test(session: Session, *, now: datetime, method: ContactMethod) -> None:
    paging.queue_notification(
        session,
        page=None,
        user_id=method.user_id,
        method=method,
        step=0,
        now=now,
        due=now,
        key=f"test:{method.id}:{now.isoformat()}",
        kind="test",
    )


def remove_method(session: Session, *, actor: Actor, now: datetime, method: ContactMethod) -> None:
    session.delete(method)
    audit.record(
        session,
        actor=actor,
        action="contact_method.removed",
        object_type="user",
        object_id=method.user_id,
        changes={"method": method.id, "kind": method.kind},
        now=now,
    )


def find_method(session: Session, user: User, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or method.user_id != user.id:
        raise NotFound(f"no contact method {method_id}", field="contact_method")
    return method


def add_rule(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    user: User,
    urgency: str,
    contact_method_id: int,
    delay_minutes: int,
) -> NotificationRule:
    if urgency not in URGENCIES:
        raise InvalidInput("expected high or low", field="urgency")
    if not 0 <= delay_minutes <= 24 * 60:
        raise InvalidInput("expected 0 to 1440 minutes", field="delay_minutes")
    find_method(session, user, contact_method_id)
    rule = NotificationRule(
        user_id=user.id,
        urgency=urgency,
        contact_method_id=contact_method_id,
        delay_minutes=delay_minutes,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="notification_rule.added",
        object_type="user",
        object_id=user.id,
        changes={"urgency": urgency, "method": contact_method_id, "delay_minutes": delay_minutes},
        now=now,
    )
    return rule


def remove_rule(session: Session, *, actor: Actor, now: datetime, user: User, rule_id: int) -> None:
    rule = session.get(NotificationRule, rule_id)
    if rule is None or rule.user_id != user.id:
        raise NotFound(f"no notification rule {rule_id}", field="rule")
    session.delete(rule)
    audit.record(
        session,
        actor=actor,
        action="notification_rule.removed",
        object_type="user",
        object_id=user.id,
        changes={"urgency": rule.urgency, "method": rule.contact_method_id},
        now=now,
    )


def working(method: ContactMethod) -> bool:
    """Enabled, and not failing since it last worked."""
    if method.disabled_at is not None:
        return False
    if method.last_error_at is None:
        return True
    return method.last_ok_at is not None and method.last_ok_at > method.last_error_at


@dataclass(frozen=True)
class Warning:
    user_id: int
    user: str
    where: str  # "schedule primary", "policy db-oncall"
    message: str


def person_warning(session: Session, user: User) -> str | None:
    methods = session.scalars(select(ContactMethod).where(ContactMethod.user_id == user.id))
    return _method_warning(user, list(methods))


def _method_warning(user: User, methods: list[ContactMethod]) -> str | None:
    good = [m for m in methods if working(m)]
    if not good:
        if methods:
            return f"{user.name} has contact methods, but none is working"
        return f"{user.name} has no contact method"
    if not any(m.verified_at for m in good):
        return f"{user.name} has not verified any contact method"
    return None


def reachability_warnings(session: Session) -> list[Warning]:
    """Everyone a page could reach who could not be reached. Six queries
    whatever the size of the organisation: the dashboard asks on every view
    (two queries a person took 80 ms for 300 people)."""
    where = _paged_people(session)
    if not where:
        return []
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(where)))}
    methods: dict[int, list[ContactMethod]] = {}
    for method in session.scalars(select(ContactMethod).where(ContactMethod.user_id.in_(where))):
        methods.setdefault(method.user_id, []).append(method)
    warnings = []
    for user_id in sorted(where):
        user = users.get(user_id)
        if user is None:
            continue
        problem = _method_warning(user, methods.get(user_id, []))
        if problem:
            places = ", ".join(sorted(set(where[user_id])))
            warnings.append(Warning(user_id, user.name, places, f"{problem} (on {places})"))
    return warnings


def _paged_people(session: Session) -> dict[int, list[str]]:
    """Everyone a schedule or an escalation policy names, with where."""
    where: dict[int, list[str]] = {}
    slugs = {row.id: row.slug for row in session.execute(select(Schedule.id, Schedule.slug))}
    for schedule_id, user_ids in session.execute(
        select(ScheduleLayer.schedule_id, ScheduleLayer.user_ids)
    ):
        for user_id in user_ids:
            where.setdefault(user_id, []).append(f"schedule {slugs.get(schedule_id, '?')}")
    members: dict[int, list[int]] = {}
    for team_id, user_id in session.execute(select(TeamMembership.team_id, TeamMembership.user_id)):
        members.setdefault(team_id, []).append(user_id)
    for slug, steps in session.execute(select(EscalationPolicy.slug, EscalationPolicy.steps)):
        for step in parse_steps(steps):
            for target in step.targets:
                if target.type == "team":
                    people = members.get(target.ids[0], [])
                elif target.type in ("user", "round_robin"):
                    people = list(target.ids)
                else:
                    continue
                for user_id in people:
                    where.setdefault(user_id, []).append(f"policy {slug}")
    return where
