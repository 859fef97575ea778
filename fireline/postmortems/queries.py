"""Reading post-mortems: the list across incidents, and what a page or the
API shows of one (its review state, whether it is overdue, blameless advice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.incidents import queries as incident_queries
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.postmortems import blameless, schedule, workflow
from fireline.postmortems.models import STATUSES, PostMortem


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None  # draft, in_review, published
    overdue: bool = False
    severity: str | None = None
    limit: int = 200


def listing(
    session: Session, principal: Principal, zone: ZoneInfo, now: datetime, filters: ListFilter
) -> list[tuple[PostMortem, Incident]]:
    if not 1 <= filters.limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000", field="limit")
    query = (
        select(PostMortem, Incident)
        .join(Incident, Incident.id == PostMortem.incident_id)
        .where(incident_queries.visible_to(principal))
    )
    if filters.status:
        if filters.status not in STATUSES:
            raise InvalidInput(
                f"unknown status {filters.status!r}; expected one of {', '.join(STATUSES)}",
                field="status",
            )
        query = query.where(PostMortem.status == filters.status)
    if filters.severity:
        query = query.where(Incident.severity == filters.severity.upper())
    if filters.overdue:
        query = query.where(
            PostMortem.status != workflow.PUBLISHED,
            PostMortem.due_date < schedule.today(zone, now),
        )
    query = query.order_by(
        PostMortem.due_date.is_(None), PostMortem.due_date.desc(), PostMortem.id.desc()
    )
    return [(pm, incident) for pm, incident in session.execute(query.limit(filters.limit))]


def is_overdue(postmortem: PostMortem, zone: ZoneInfo, now: datetime) -> bool:
    return postmortem.status != workflow.PUBLISHED and schedule.is_overdue(
        zone, postmortem.due_date, now
    )


def advice(session: Session, incident: Incident, text: str) -> list[blameless.Finding]:
    """Blameless advice on ``text``: the incident's people and every user are the names to watch."""
    people = {(u.name, u.email) for u in session.scalars(select(User))}
    people |= {(p.user.name, p.user.email) for p in incident.participants}
    return blameless.check(text, blameless.names_of(people))


def summary(
    postmortem: PostMortem, incident: Incident, plan: Plan, now: datetime
) -> dict[str, Any]:
    """A post-mortem as a list row shows it."""
    zone = ZoneInfo(plan.organisation.time_zone)
    return {
        "id": postmortem.id,
        "incident": incident.ref,
        "incident_title": incident.title,
        "severity": incident.severity,
        "title": postmortem.title,
        "status": postmortem.status,
        "due_date": postmortem.due_date,
        "overdue": is_overdue(postmortem, zone, now),
        "required": plan.postmortem.requires(incident.severity),
        "created_at": postmortem.created_at,
        "submitted_at": postmortem.submitted_at,
        "published_at": postmortem.published_at,
    }


def detail(
    session: Session, postmortem: PostMortem, incident: Incident, plan: Plan, now: datetime
) -> dict[str, Any]:
    """Everything about one post-mortem, with blameless advice on its text."""
    return {
        **summary(postmortem, incident, plan, now),
        "body": postmortem.body,
        "updated_at": postmortem.updated_at,
        "published_by": postmortem.published_by.name if postmortem.published_by else None,
        "reviewers": [
            {
                "user_id": r.user_id,
                "name": r.user.name,
                "email": r.user.email,
                "decision": r.decision,
                "comment": r.comment,
                "decided_at": r.decided_at,
            }
            for r in postmortem.reviewers
        ],
        "blameless": [
            {
                "sentence": f.sentence,
                "person": f.person,
                "words": list(f.words),
                "suggestion": f.suggestion,
            }
            for f in advice(session, incident, postmortem.body)
        ],
    }
