"""What the plan document needs from the database: escalation policies with
the services that use them, playbooks, obligations, the status page and
chat rooms. Read-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.comms.rooms.models import ChatRoom
from fireline.comms.status.models import Component
from fireline.oncall.models import EscalationPolicy, Schedule
from fireline.people.models import Team, User
from fireline.plan.document import EscalationPath, Facts, PolicyStep
from fireline.plan.schema import Plan
from fireline.playbooks import library
from fireline.security.obligations.catalog import catalog


def facts_without_database(plan: Plan) -> Facts:
    return Facts(
        playbooks=[p for p in library.builtin_playbooks() if not library.problems_in(plan, p)]
        + list(plan.playbooks),
        obligations=list(catalog(plan).values()),
    )


def gather(session: Session, plan: Plan) -> Facts:
    users = {u.id: u.name for u in session.scalars(select(User))}
    schedules = {s.id: s.name for s in session.scalars(select(Schedule))}
    teams = {t.id: t.name for t in session.scalars(select(Team))}
    services: dict[int, list[str]] = {}
    for service in session.scalars(select(Service).order_by(Service.name)):
        if service.escalation_policy_id is not None:
            services.setdefault(service.escalation_policy_id, []).append(service.name)
    paths = [
        EscalationPath(
            name=policy.name,
            team=policy.team.name if policy.team else "",
            services=tuple(services.get(policy.id, [])),
            steps=tuple(
                PolicyStep(
                    int(step.get("delay_minutes", 0)),
                    tuple(_target(t, users, schedules, teams) for t in step.get("targets", [])),
                )
                for step in policy.steps
            ),
            repeat=policy.repeat,
        )
        for policy in session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name))
    ]
    return Facts(
        from_database=True,
        escalation_paths=paths,
        playbooks=[e.playbook for e in library.available(session, plan).values()],
        obligations=list(catalog(plan).values()),
        status_page=session.scalar(select(Component.id).limit(1)) is not None,
        chat_rooms=list(session.scalars(select(ChatRoom.name).order_by(ChatRoom.name))),
    )


def _target(
    target: dict[str, Any], users: dict[int, str], schedules: dict[int, str], teams: dict[int, str]
) -> str:
    """A step's target in words; stored as {"type", "ids"} (or one "id")."""
    kind = target.get("type")
    ids = [int(i) for i in (target.get("ids") or [target.get("id")]) if i is not None]
    if kind == "user":
        return ", ".join(users.get(i, f"user {i}") for i in ids)
    if kind == "schedule":
        names = ", ".join(schedules.get(i, f"schedule {i}") for i in ids)
        return f"whoever is on call for {names}"
    if kind == "team":
        return "everyone in " + ", ".join(teams.get(i, f"team {i}") for i in ids)
    return f"{kind} {ids}"
