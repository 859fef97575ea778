"""Reading what the metrics need from the database, as plain facts.

Only what the principal may see (restricted incidents for their participants
and admins), never exercises, and never duplicates merged into another
incident (the surviving incident counts once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from fireline.catalog.models import Service
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.incidents.models import ActionItem, Incident
from fireline.incidents.queries import resolve_severity, visible_to
from fireline.incidents.sla_timers import clocks
from fireline.insights.followup import ItemFacts
from fireline.insights.metrics import IncidentFacts
from fireline.insights.period import Period
from fireline.insights.repeats import Candidate, contributing_factors
from fireline.oncall import load
from fireline.oncall.models import Notification, Page
from fireline.people.models import Team, TeamMembership, User
from fireline.people.service import find_team
from fireline.plan.schema import Plan
from fireline.postmortems.models import PostMortem


@dataclass(frozen=True)
class Scope:
    """The filters a report was asked for, resolved to rows."""

    team: Team | None = None
    service: Service | None = None
    severity: str | None = None

    def describe(self) -> dict[str, str | None]:
        return {
            "team": self.team.slug if self.team else None,
            "service": self.service.slug if self.service else None,
            "severity": self.severity,
        }


def resolve_scope(
    session: Session, plan: Plan, *, team: str | None, service: str | None, severity: str | None
) -> Scope:
    found_team = found_service = None
    if team and team.strip():
        try:
            found_team = find_team(session, team.strip())
        except NotFound:
            raise InvalidInput(f"no team {team.strip()!r}", field="team") from None
    if service and service.strip():
        found_service = session.scalar(select(Service).where(Service.slug == service.strip()))
        if found_service is None:
            raise InvalidInput(f"no service {service.strip()!r}", field="service")
    key = resolve_severity(plan, severity) if severity and severity.strip() else None
    return Scope(found_team, found_service, key)


def _incidents(principal: Principal, scope: Scope) -> Select[Incident]:
    query = select(Incident).where(
        visible_to(principal),
        Incident.is_exercise.is_(False),
        Incident.merged_into_id.is_(None),
    )
    if scope.severity:
        query = query.where(Incident.severity == scope.severity)
    if scope.service is not None:
        query = query.where(Incident.services.any(Service.id == scope.service.id))
    if scope.team is not None:
        query = query.where(Incident.services.any(Service.owner_team_id == scope.team.id))
    return query


@dataclass(frozen=True)
class Gathered:
    facts: list[IncidentFacts]  # declared in [start, end)
    candidates: list[Candidate]  # declared in [lookback, end), for repeats


def gather_incidents(
    session: Session,
    plan: Plan,
    principal: Principal,
    scope: Scope,
    *,
    lookback: datetime,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Gathered:
    query = (
        _incidents(principal, scope)
        .where(Incident.declared_at >= lookback, Incident.declared_at < end)
        .options(selectinload(Incident.services))
        .order_by(Incident.declared_at, Incident.id)
    )
    incidents = list(session.scalars(query))
    postmortems = _postmortems(session, [i.id for i in incidents])
    facts, candidates = [], []
    for incident in incidents:
        status, body = postmortems.get(incident.id, (None, ""))
        services = tuple(s.slug for s in incident.services)
        candidates.append(
            Candidate(
                incident.id,
                incident.ref,
                incident.title,
                services,
                incident.declared_at,
                contributing_factors(body),
            )
        )
        if incident.declared_at >= start:
            facts.append(_facts(plan, incident, services, status, now))
    return Gathered(facts, candidates)


def _facts(
    plan: Plan, incident: Incident, services: tuple[str, ...], pm_status: str | None, now: datetime
) -> IncidentFacts:
    try:
        response, resolution = (state.status.value for state in clocks(plan, incident, now))
    except KeyError:  # a severity the plan no longer has: no target to measure against
        response = resolution = "none"
    return IncidentFacts(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        severity=incident.severity,
        type_key=incident.type_key,
        services=services,
        started_at=incident.started_at,
        declared_at=incident.declared_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        response=response,
        resolution=resolution,
        postmortem_status=pm_status,
    )


def _postmortems(
    session: Session, incident_ids: Sequence[int]
) -> dict[int, tuple[str | None, str]]:
    if not incident_ids:
        return {}
    rows = session.execute(
        select(PostMortem.incident_id, PostMortem.status, PostMortem.body).where(
            PostMortem.incident_id.in_(incident_ids)
        )
    )
    return {incident_id: (status, body or "") for incident_id, status, body in rows}


def action_items(session: Session, incident_ids: Sequence[int]) -> list[ItemFacts]:
    if not incident_ids:
        return []
    rows = session.execute(
        select(
            ActionItem.incident_id, ActionItem.status, ActionItem.due_date, ActionItem.closed_at
        ).where(ActionItem.incident_id.in_(incident_ids))
    )
    return [ItemFacts(*row) for row in rows]


# --- on-call load ----------------------------------------------------------------------


@dataclass(frozen=True)
class PersonPages:
    user_id: int
    name: str
    email: str
    pages: int
    notifications: int
    off_hours: int
    sleep_hours: int


def pages_per_person(session: Session, scope: Scope, period: Period) -> list[PersonPages]:
    """Pages sent in [start, end) per person, counted on each person's own
    clock by :mod:`fireline.oncall.load`; a team filter keeps its members.
    Pages of exercise incidents are left out, like everything of exercises."""
    at = func.coalesce(Notification.sent_at, Notification.created_at)
    exercise_ids = select(Incident.id).where(Incident.is_exercise.is_(True))
    query = (
        select(Notification.user_id, Notification.page_id, at)
        .join(Page, Page.id == Notification.page_id)
        .where(
            Notification.kind == "page",
            Notification.status == "sent",
            at >= period.start,
            at < period.end,
            or_(
                Page.subject_type != "incident",
                and_(Page.subject_type == "incident", Page.subject_id.not_in(exercise_ids)),
            ),
        )
    )
    if scope.team is not None:
        members = select(TeamMembership.user_id).where(TeamMembership.team_id == scope.team.id)
        query = query.where(Notification.user_id.in_(members))
    sent = [
        load.Sent(user_id, page_id, moment)
        for user_id, page_id, moment in session.execute(query)
        if page_id is not None
    ]
    if not sent:
        return []
    users = list(session.scalars(select(User).where(User.id.in_({s.user_id for s in sent}))))
    people = [load.Person(u.id, u.time_zone) for u in users]
    by_id = {u.id: u for u in users}
    # Hours on call are the on-call page's business; insights counts interruptions.
    # The period's instants were chosen above; a day either side of them in
    # each person's own calendar keeps every one of those notifications.
    first = period.first_day - timedelta(days=1)
    last = period.last_day + timedelta(days=2)
    loads = load.report(people, sent, [], first, last)
    rows = [
        PersonPages(
            person.user_id,
            by_id[person.user_id].name,
            by_id[person.user_id].email,
            person.total.pages,
            person.total.notifications,
            person.total.off_hours,
            person.total.sleep_hours,
        )
        for person in loads
    ]
    return sorted(rows, key=lambda r: (-r.pages, r.name))
