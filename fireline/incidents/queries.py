"""Reading incidents: who may see which, lookups that forgive a stressed
responder's typing, filtered lists and timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from fireline.catalog.models import Service
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.incidents.models import (
    REF_PREFIX,
    Incident,
    Participant,
    RoleAssignment,
    TimelineEvent,
)
from fireline.people.models import Role, User
from fireline.plan.schema import Plan

# --- visibility ------------------------------------------------------------------


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Restricted incidents are visible to their participants and to admins only."""
    if principal.can(Role.admin):
        return true()
    participates = exists().where(
        Participant.incident_id == Incident.id, Participant.user_id == principal.user_id
    )
    return or_(Incident.restricted.is_(False), participates)


def parse_ref(ref: str) -> int | None:
    text = ref.strip().upper()
    return as_row_id(text[len(REF_PREFIX) :] if text.startswith(REF_PREFIX) else text)


def get_visible(session: Session, principal: Principal, ref: str) -> Incident:
    """The incident, or the same 404 whether it does not exist or may not be seen."""
    incident_id = parse_ref(ref)
    incident = None
    if incident_id is not None:
        incident = session.scalar(
            select(Incident).where(Incident.id == incident_id, visible_to(principal))
        )
    if incident is None:
        raise NotFound(f"no incident {ref}")
    return incident


def resolve_severity(plan: Plan, value: str) -> str:
    text = value.strip().upper()
    candidates = [text, f"SEV{text}"]
    for severity in plan.severities:
        if severity.key in candidates:
            return severity.key
    known = ", ".join(s.key for s in plan.severities)
    raise InvalidInput(f"unknown severity {value!r}; expected one of {known}", field="severity")


def resolve_type(plan: Plan, value: str) -> str:
    text = value.strip().lower().replace(" ", "_")
    exact = [t.key for t in plan.incident_types if t.key == text]
    partial = [t.key for t in plan.incident_types if text and text in t.key]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    known = ", ".join(t.key for t in plan.incident_types)
    what = "is ambiguous" if found else "is unknown"
    raise InvalidInput(f"incident type {value!r} {what}; expected one of {known}", field="type")


def resolve_services(session: Session, refs: list[str]) -> list[Service]:
    services = list(session.scalars(select(Service)))
    chosen: list[Service] = []
    for ref in refs:
        exact = [s for s in services if s.slug == ref]
        found = exact or [s for s in services if s.slug.startswith(ref)]
        if len(found) != 1:
            what = "is ambiguous" if found else "is unknown"
            raise InvalidInput(f"service {ref!r} {what}", field="services")
        if found[0] not in chosen:
            chosen.append(found[0])
    return chosen


# --- listing -----------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None  # "open", "closed", or a lifecycle state
    severity: str | None = None
    type: str | None = None
    service: str | None = None
    commander: str | None = None
    declared_after: datetime | None = None
    declared_before: datetime | None = None
    sort: str = "newest"  # newest, oldest or severity
    limit: int = 50
    offset: int = 0


def list_incidents(
    session: Session, principal: Principal, filters: IncidentFilter
) -> list[Incident]:
    if not 1 <= filters.limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", field="limit")
    if filters.offset < 0:
        raise InvalidInput("offset cannot be negative", field="offset")
    # Everything a list row shows, loaded in a handful of queries instead of one per row.
    query = (
        select(Incident)
        .where(visible_to(principal))
        .options(
            joinedload(Incident.commander),
            selectinload(Incident.services),
            selectinload(Incident.roles).joinedload(RoleAssignment.user),
            selectinload(Incident.participants),
        )
    )
    if filters.status == "open":
        query = query.where(Incident.is_open.is_(True))
    elif filters.status == "closed":
        query = query.where(Incident.is_open.is_(False))
    elif filters.status:
        query = query.where(Incident.status == filters.status)
    if filters.severity:
        query = query.where(Incident.severity == filters.severity.upper())
    if filters.type:
        query = query.where(Incident.type_key == filters.type)
    if filters.service:
        query = query.where(Incident.services.any(Service.slug == filters.service))
    if filters.commander:
        commander_id = as_row_id(filters.commander)
        if commander_id is None:
            user = session.scalar(select(User).where(User.email == filters.commander.lower()))
            commander_id = user.id if user else -1
        query = query.where(Incident.commander_id == commander_id)
    if filters.declared_after:
        query = query.where(Incident.declared_at >= filters.declared_after)
    if filters.declared_before:
        query = query.where(Incident.declared_at < filters.declared_before)
    orders = {
        "newest": (Incident.declared_at.desc(), Incident.id.desc()),
        "oldest": (Incident.declared_at.asc(), Incident.id.asc()),
        # Plan keys sort as text (SEV1 < SEV2); ties go newest first.
        "severity": (Incident.severity.asc(), Incident.declared_at.desc(), Incident.id.desc()),
    }
    if filters.sort not in orders:
        raise InvalidInput(
            f"unknown sort {filters.sort!r}; expected one of {', '.join(orders)}", field="sort"
        )
    query = query.order_by(*orders[filters.sort])
    return list(session.scalars(query.limit(filters.limit).offset(filters.offset)))


def timeline(session: Session, incident: Incident, kind: str | None = None) -> list[TimelineEvent]:
    """The incident's events, with those of duplicates merged into it."""
    # The merged ids are read first: PostgreSQL plans "id = X OR id IN (subquery)"
    # as a scan of every timeline event, while a plain IN list uses the index.
    merged = session.scalars(select(Incident.id).where(Incident.merged_into_id == incident.id))
    query = select(TimelineEvent).where(TimelineEvent.incident_id.in_([incident.id, *merged]))
    if kind:
        query = query.where(TimelineEvent.kind == kind)
    return list(session.scalars(query.order_by(TimelineEvent.occurred_at, TimelineEvent.id)))
