"""The status page's read model, shared by the Statuspage JSON API, the HTML
page and the Atom feed.

Everything a public view needs comes from a handful of queries (relations
are loaded with ``selectinload``), so a page costs the same whether it shows
three components or three hundred: the status page is the one thing everyone
refreshes during an outage.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from fireline.comms.status import components
from fireline.comms.status.models import (
    CLOSED_STATUSES,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    PublicIncident,
    PublicIncidentComponent,
    StatusPageSettings,
)
from fireline.comms.status.overall import Overall, overall
from fireline.comms.status.uptime import DAYS, SEVERITY_ORDER, Change, Day, daily, uptime_percent
from fireline.core.db import Database

RECENT = 50
ACTIVE_MAINTENANCE = ("in_progress", "verifying")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SETTINGS = "fireline.status.settings"


@dataclass(frozen=True)
class GroupView:
    group: ComponentGroup
    components: list[Component]

    @property
    def status(self) -> str:
        return worst_status(c.status for c in self.components)


@dataclass
class Snapshot:
    """The page as it stands: settings, components in their groups, and the
    open incidents and maintenances (plus the recent ones when asked for)."""

    settings: StatusPageSettings
    groups: list[GroupView]
    ungrouped: list[Component]
    open: list[PublicIncident]
    recent: list[PublicIncident] = field(default_factory=list)

    @property
    def components(self) -> list[Component]:
        return [c for g in self.groups for c in g.components] + self.ungrouped

    @property
    def open_incidents(self) -> list[PublicIncident]:
        return [i for i in self.open if i.kind == "incident"]

    @property
    def upcoming(self) -> list[PublicIncident]:
        return [m for m in self.open if m.kind == "maintenance" and m.status == "scheduled"]

    @property
    def active_maintenance(self) -> list[PublicIncident]:
        return [m for m in self.open if m.kind == "maintenance" and m.status in ACTIVE_MAINTENANCE]

    @property
    def overall(self) -> Overall:
        # A maintenance that has not started yet says nothing about now.
        impacts = [i.impact for i in self.open_incidents]
        impacts += ["maintenance" for _ in self.active_maintenance]
        return overall([c.status for c in self.components], impacts)

    @property
    def updated_at(self) -> datetime:
        """When anything on the page last changed (Statuspage's page.updated_at)."""
        stamps = [self.settings.updated_at]
        stamps += [c.updated_at for c in self.components]
        stamps += [g.group.updated_at for g in self.groups]
        stamps += [i.updated_at for i in [*self.open, *self.recent]]
        return max(stamps)


def worst_status(statuses: Iterator[str] | Sequence[str]) -> str:
    """The worst of some component statuses; operational when there are none."""
    present = set(statuses)
    return next((s for s in SEVERITY_ORDER if s in present), "operational")


# --- settings ------------------------------------------------------------------------


def find_settings(session: Session) -> StatusPageSettings | None:
    """The settings row, read once per session (every view needs it twice)."""
    found = session.info.get(_SETTINGS)
    if found is None:
        found = session.scalars(
            select(StatusPageSettings).order_by(StatusPageSettings.id).limit(1)
        ).first()
        if found is not None:
            session.info[_SETTINGS] = found
    return found if isinstance(found, StatusPageSettings) else None


@contextmanager
def reading(db: Database, now: datetime) -> Iterator[Session]:
    """A read-only session on a page whose settings exist.

    The settings row is made the first time the page is read, in a
    transaction of its own, so page.id is the same from the first answer on
    and every later read stays a read."""
    with db.reading() as session:
        if find_settings(session) is None:
            with db.transaction() as writer:
                if find_settings(writer) is None:
                    components.page_settings(writer, now)
            session.rollback()  # a new snapshot, one that sees the row
        yield session


def page_zone(settings: StatusPageSettings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# --- the page ------------------------------------------------------------------------


def _incident_query() -> Select[PublicIncident]:
    return select(PublicIncident).options(
        selectinload(PublicIncident.updates),
        selectinload(PublicIncident.components),
    )


def load(session: Session, *, recent: int = 0) -> Snapshot:
    """The snapshot; ``recent`` > 0 also loads that many newest incidents and
    maintenances, open or closed."""
    settings = find_settings(session)
    if settings is None:  # ensure_settings was not called: show defaults
        settings = StatusPageSettings(
            code="",
            name="Status",
            logo_url="",
            brand_color="#1f6feb",
            time_zone="UTC",
            support_url="",
            updated_at=_EPOCH,
        )
    groups = list(
        session.scalars(select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id))
    )
    components = list(session.scalars(select(Component).order_by(Component.position, Component.id)))
    by_group: dict[int, list[Component]] = {g.id: [] for g in groups}
    ungrouped = []
    for component in components:
        if component.group_id in by_group:
            by_group[component.group_id].append(component)
        else:
            ungrouped.append(component)
    open_ = list(
        session.scalars(
            _incident_query()
            .where(PublicIncident.status.not_in(CLOSED_STATUSES))
            .order_by(PublicIncident.created_at.desc(), PublicIncident.id.desc())
        )
    )
    snapshot = Snapshot(settings, [GroupView(g, by_group[g.id]) for g in groups], ungrouped, open_)
    if recent > 0:
        snapshot.recent = recent_incidents(session, limit=recent)
    return snapshot


def recent_incidents(
    session: Session,
    *,
    kind: str | None = None,
    component: Component | None = None,
    limit: int = RECENT,
) -> list[PublicIncident]:
    """The newest incidents and/or maintenances, open or closed, newest first."""
    query = _incident_query()
    if kind is not None:
        query = query.where(PublicIncident.kind == kind)
    if component is not None:
        query = query.where(
            PublicIncident.id.in_(
                select(PublicIncidentComponent.incident_id).where(
                    PublicIncidentComponent.component_id == component.id
                )
            )
        )
    query = query.order_by(PublicIncident.created_at.desc(), PublicIncident.id.desc())
    return list(session.scalars(query.limit(limit)))


def find_incident(session: Session, code: str) -> PublicIncident | None:
    return session.scalars(_incident_query().where(PublicIncident.code == code)).first()


def find_component(session: Session, code: str) -> Component | None:
    return session.scalars(select(Component).where(Component.code == code)).first()


# --- uptime --------------------------------------------------------------------------


@dataclass(frozen=True)
class Uptime:
    days: list[Day]
    percent: float | None


def uptimes(
    session: Session, components: Sequence[Component], *, now: datetime, zone: ZoneInfo
) -> dict[int, Uptime]:
    """Each component's last 90 days, from two queries for all of them: the
    changes inside the window, and the last change before it (the status in
    force when the window opens)."""
    if not components:
        return {}
    ids = [c.id for c in components]
    window_start = now - timedelta(days=DAYS + 1)
    # Plain rows, not ORM objects: a page draws thousands of changes.
    columns = (
        ComponentStatusChange.component_id,
        ComponentStatusChange.at,
        ComponentStatusChange.status,
    )
    inside = session.execute(
        select(*columns).where(
            ComponentStatusChange.component_id.in_(ids),
            ComponentStatusChange.at >= window_start,
        )
    )
    last_before = (
        select(func.max(ComponentStatusChange.id))
        .where(
            ComponentStatusChange.component_id.in_(ids),
            ComponentStatusChange.at < window_start,
        )
        .group_by(ComponentStatusChange.component_id)
    )
    before = session.execute(select(*columns).where(ComponentStatusChange.id.in_(last_before)))
    changes: dict[int, list[Change]] = {i: [] for i in ids}
    for component_id, at, status in [*before, *inside]:
        changes[component_id].append(Change(at, status))
    result = {}
    for component in components:
        # Every component gets a change when it is made; one that lost its
        # history still has a status and a birth date to draw from.
        found = changes[component.id] or [Change(component.created_at, component.status)]
        days = daily(found, now=now, zone=zone)
        result[component.id] = Uptime(days, uptime_percent(days))
    return result


def day_title(day: Day) -> str:
    """A day's tooltip: its date and what went wrong, in minutes."""
    label = day.day.isoformat()
    if not day.has_data:
        return f"{label}: no data"
    problems = [
        f"{status.replace('_', ' ')} {round(day.seconds[status] / 60)} min"
        for status in SEVERITY_ORDER
        if day.seconds.get(status, 0) > 0
    ]
    return f"{label}: " + (", ".join(problems) if problems else "no downtime")


# --- history -------------------------------------------------------------------------


def by_month(
    incidents: Sequence[PublicIncident], zone: ZoneInfo
) -> list[tuple[date, list[PublicIncident]]]:
    """Incidents grouped by the month they started in (page time), newest first."""
    months: dict[date, list[PublicIncident]] = {}
    for incident in incidents:
        local = incident.started_at.astimezone(zone)
        months.setdefault(date(local.year, local.month, 1), []).append(incident)
    return sorted(months.items(), key=lambda item: item[0], reverse=True)
