"""Use cases of the status page: its look, components and their statuses,
public incidents and maintenance with their updates, publishing from an
internal incident. Subscriptions live in ``subscriptions``.

Every change is audited; every component status change is kept (the uptime
bars are computed from them); every update that says so tells the
subscribers, through jobs queued in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.comms.status.models import (
    CLOSED_STATUSES,
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    PublicIncident,
    PublicUpdate,
    StatusPageSettings,
    UpdateTemplate,
)
from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.core.jobs import queue
from fireline.incidents.models import Incident
from fireline.incidents.service import record_event

NOTIFY_JOB = "status.notify"
MAINTENANCE_JOB = "status.maintenance"
_HEX_COLOUR = "0123456789abcdefABCDEF"


def new_code() -> str:
    """An opaque public id, as Statuspage's ids look (12 lowercase characters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if "\x00" in text:  # PostgreSQL cannot store it, and no one means it
        raise InvalidInput("NUL characters cannot be stored", field=field)
    if required and not text:
        raise InvalidInput(f"{field} is required", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"at most {max_length} characters", field=field)
    return text


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"expected one of {', '.join(allowed)}", field=field)
    return value


def _audit(
    session: Session,
    principal: Principal | None,
    now: datetime,
    action: str,
    obj: Any,
    **changes: Any,
) -> None:
    audit.record(
        session,
        actor=principal.actor if principal else audit.Actor.system(),
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes=changes,
        now=now,
    )


# --- the page ----------------------------------------------------------------------


def page_settings(session: Session, now: datetime) -> StatusPageSettings:
    """The page's settings, made with defaults the first time they are asked for."""
    found = session.scalars(select(StatusPageSettings).limit(1)).first()
    if found is not None:
        return found
    created = StatusPageSettings(code=new_code(), name="Status", updated_at=now)
    session.add(created)
    session.flush()
    return created


def update_page_settings(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str | None = None,
    logo_url: str | None = None,
    brand_color: str | None = None,
    time_zone: str | None = None,
    support_url: str | None = None,
) -> StatusPageSettings:
    page = page_settings(session, now)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "name", 200)
    if logo_url is not None:
        changes["logo_url"] = _url(logo_url, "logo_url")
    if support_url is not None:
        changes["support_url"] = _url(support_url, "support_url")
    if brand_color is not None:
        colour = brand_color.strip()
        if len(colour) != 7 or colour[0] != "#" or any(c not in _HEX_COLOUR for c in colour[1:]):
            raise InvalidInput("expected a colour like #1f6feb", field="brand_color")
        changes["brand_color"] = colour.lower()
    if time_zone is not None:
        changes["time_zone"] = zone_name(time_zone)
    for key, value in changes.items():
        setattr(page, key, value)
    page.updated_at = now
    _audit(session, principal, now, "status.page_updated", page, **changes)
    return page


def zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("expected a time zone like Europe/Berlin", field="time_zone") from None
    return value


def _url(value: str, field: str) -> str:
    url = value.strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise InvalidInput("expected an http(s) URL", field=field)
    return _text(url, field, 2000, required=False)


# --- components --------------------------------------------------------------------


def find_component(session: Session, ref: str | int) -> Component:
    """A component by id, code or name (case-insensitive)."""
    text = str(ref).strip()
    query = select(Component)
    row_id = as_row_id(text)
    if row_id is not None:
        found = session.get(Component, row_id)
    else:
        found = session.scalars(query.where(Component.code == text)).first()
        if found is None:
            lowered = text.lower()
            found = next(
                (c for c in session.scalars(query) if c.name.lower() == lowered),
                None,
            )
    if found is None:
        raise NotFound(f"no component {text!r}")
    return found


def find_group(session: Session, ref: str | int) -> ComponentGroup:
    text = str(ref).strip()
    row_id = as_row_id(text)
    if row_id is not None:
        found = session.get(ComponentGroup, row_id)
    else:
        found = session.scalars(
            select(ComponentGroup).where(
                (ComponentGroup.code == text) | (ComponentGroup.name == text)
            )
        ).first()
    if found is None:
        raise NotFound(f"no component group {text!r}")
    return found


def create_group(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str,
    description: str = "",
) -> ComponentGroup:
    position = len(session.scalars(select(ComponentGroup.id)).all())
    group = ComponentGroup(
        code=new_code(),
        name=_text(name, "name", 200),
        description=_text(description, "description", 1000, required=False),
        position=position,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    session.flush()
    _audit(session, principal, now, "status.group_created", group, name=group.name)
    return group


def update_group(
    session: Session,
    principal: Principal | None,
    now: datetime,
    group: ComponentGroup,
    *,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> ComponentGroup:
    changes: dict[str, Any] = {}
    if name is not None:
        group.name = changes["name"] = _text(name, "name", 200)
    if description is not None:
        group.description = changes["description"] = _text(
            description, "description", 1000, required=False
        )
    if position is not None:
        if position < 0:
            raise InvalidInput("expected 0 or more", field="position")
        group.position = changes["position"] = position
    group.updated_at = now
    _audit(session, principal, now, "status.group_updated", group, **changes)
    return group


def create_component(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str,
    description: str = "",
    group: str | int | None = None,
    services: list[str] | None = None,
    only_show_if_degraded: bool = False,
) -> Component:
    component = Component(
        code=new_code(),
        name=_text(name, "name", 200),
        description=_text(description, "description", 1000, required=False),
        group_id=_group_id(session, group),
        status="operational",
        position=len(session.scalars(select(Component.id)).all()),
        only_show_if_degraded=only_show_if_degraded,
        created_at=now,
        updated_at=now,
    )
    component.services = _services(session, services or [])
    session.add(component)
    session.flush()
    session.add(ComponentStatusChange(component_id=component.id, status="operational", at=now))
    _audit(
        session,
        principal,
        now,
        "status.component_created",
        component,
        name=component.name,
        group_id=component.group_id,
    )
    return component


def update_component(
    session: Session,
    principal: Principal | None,
    now: datetime,
    component: Component,
    *,
    name: str | None = None,
    description: str | None = None,
    group: str | int | None = None,
    services: list[str] | None = None,
    only_show_if_degraded: bool | None = None,
) -> Component:
    changes: dict[str, Any] = {}
    if name is not None:
        component.name = changes["name"] = _text(name, "name", 200)
    if description is not None:
        component.description = changes["description"] = _text(
            description, "description", 1000, required=False
        )
    if group is not None:
        component.group_id = changes["group_id"] = _group_id(session, group)
    if services is not None:
        component.services = _services(session, services)
        changes["services"] = [s.slug for s in component.services]
    if only_show_if_degraded is not None:
        component.only_show_if_degraded = changes["only_show_if_degraded"] = only_show_if_degraded
    component.updated_at = now
    _audit(session, principal, now, "status.component_updated", component, **changes)
    return component


def _group_id(session: Session, group: str | int | None) -> int | None:
    if group is None or group == "":
        return None
    try:
        return find_group(session, group).id
    except NotFound as exc:
        raise InvalidInput(exc.message, field="group") from None


def _services(session: Session, refs: list[str]) -> list[Service]:
    found = []
    for ref in refs:
        service = session.scalars(
            select(Service).where((Service.slug == ref) | (Service.name == ref))
        ).first()
        if service is None:
            raise InvalidInput(f"no service {ref!r}", field="services")
        found.append(service)
    return found


def set_component_status(
    session: Session,
    principal: Principal | None,
    now: datetime,
    component: Component,
    status: str,
) -> str | None:
    """Set a status; return the old one, or None when it did not change."""
    _choice(status, COMPONENT_STATUSES, "status")
    old = component.status
    if old == status:
        return None
    component.status = status
    component.updated_at = now
    session.add(ComponentStatusChange(component_id=component.id, status=status, at=now))
    _audit(session, principal, now, "status.component_status", component, old=old, new=status)
    return old


def _apply_statuses(
    session: Session, principal: Principal | None, now: datetime, statuses: Mapping[str, str]
) -> tuple[list[Component], list[dict[str, str]]]:
    """Set each named component's status; return the components and the
    changes as Statuspage lists them under ``affected_components``. Every
    input is checked before anything changes."""
    resolved: list[tuple[Component, str]] = []
    for ref, status in statuses.items():
        try:
            component = find_component(session, ref)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="components") from None
        _choice(status, COMPONENT_STATUSES, "components")
        resolved.append((component, status))
    changes = []
    for component, status in resolved:
        old = set_component_status(session, principal, now, component, status)
        changes.append(
            {
                "code": component.code,
                "name": component.name,
                "old_status": old or status,
                "new_status": status,
            }
        )
    return [c for c, _ in resolved], changes


# --- public incidents and maintenance ----------------------------------------------


def find_public_incident(session: Session, ref: str | int) -> PublicIncident:
    text = str(ref).strip()
    row_id = as_row_id(text)
    found = (
        session.get(PublicIncident, row_id)
        if row_id is not None
        else session.scalars(select(PublicIncident).where(PublicIncident.code == text)).first()
    )
    if found is None:
        raise NotFound(f"no public incident or maintenance {text!r}")
    return found


def open_incident(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str,
    body: str,
    status: str = "investigating",
    impact: str = "minor",
    components: Mapping[str, str] | None = None,
    incident: Incident | None = None,
    notify: bool = True,
) -> PublicIncident:
    """A public incident with its first update, setting component statuses."""
    public = PublicIncident(
        code=new_code(),
        kind="incident",
        name=_text(name, "name", 300),
        status=_choice(status, INCIDENT_STATUSES, "status"),
        impact=_choice(impact, IMPACTS, "impact"),
        incident_id=incident.id if incident else None,
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    _text(body, "body", 20_000)
    session.add(public)
    session.flush()
    _audit(session, principal, now, "status.incident_opened", public, name=public.name)
    post_update(
        session,
        principal,
        now,
        public,
        status=status,
        body=body,
        components=components or {},
        notify=notify,
    )
    return public


def schedule_maintenance(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: list[str],
    notify: bool = True,
) -> PublicIncident:
    """A maintenance announced now, started and completed at its times by
    timers (``status.maintenance`` jobs) unless someone posts first."""
    if scheduled_until <= scheduled_for:
        raise InvalidInput("the end must come after the start", field="scheduled_until")
    if scheduled_until <= now:
        raise InvalidInput("the maintenance would be over already", field="scheduled_until")
    found = []
    for ref in components:
        try:
            found.append(find_component(session, ref))
        except NotFound as exc:
            raise InvalidInput(exc.message, field="components") from None
    maintenance = PublicIncident(
        code=new_code(),
        kind="maintenance",
        name=_text(name, "name", 300),
        status="scheduled",
        impact="maintenance",
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        started_at=scheduled_for,
        created_at=now,
        updated_at=now,
    )
    _text(body, "body", 20_000)
    maintenance.components = found
    session.add(maintenance)
    session.flush()
    _audit(
        session,
        principal,
        now,
        "status.maintenance_scheduled",
        maintenance,
        name=maintenance.name,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
    )
    post_update(session, principal, now, maintenance, status="scheduled", body=body, notify=notify)
    for status, due in (("in_progress", scheduled_for), ("completed", scheduled_until)):
        queue.enqueue(
            session,
            kind=MAINTENANCE_JOB,
            payload={"maintenance_id": maintenance.id, "status": status},
            now=now,
            due_at=max(due, now),
            idempotency_key=f"{MAINTENANCE_JOB}:{maintenance.id}:{status}",
        )
    return maintenance


def post_update(
    session: Session,
    principal: Principal | None,
    now: datetime,
    public: PublicIncident,
    *,
    status: str,
    body: str,
    components: Mapping[str, str] | None = None,
    notify: bool = True,
) -> PublicUpdate:
    """One update: its words, the incident's new status and the components'.
    ``principal`` None: fireline itself (a maintenance's timers).

    Resolving an incident (or completing a maintenance) returns its
    components that the update does not mention to operational; starting a
    maintenance puts its components under maintenance.
    """
    allowed = MAINTENANCE_STATUSES if public.kind == "maintenance" else INCIDENT_STATUSES
    _choice(status, allowed, "status")
    text = _text(body, "body", 20_000)
    if not public.is_open and public.updates:
        raise Conflict(f"{public.name!r} is {public.status}; open a new one instead")
    wanted = dict(components or {})
    if status in CLOSED_STATUSES:
        for component in public.components:
            wanted.setdefault(component.code, "operational")
    elif status == "in_progress":
        for component in public.components:
            wanted.setdefault(component.code, "under_maintenance")
    touched, changes = _apply_statuses(session, principal, now, wanted)
    for component in touched:
        if component not in public.components:
            public.components.append(component)
    public.status = status
    public.updated_at = now
    if status == "monitoring" and public.monitoring_at is None:
        public.monitoring_at = now
    if status in CLOSED_STATUSES:
        public.resolved_at = now
    update = PublicUpdate(
        code=new_code(),
        incident_id=public.id,
        status=status,
        body=text,
        affected_components=changes,
        author_id=principal.user_id if principal else None,
        notify_subscribers=notify,
        at=now,
    )
    session.add(update)
    session.flush()
    _audit(session, principal, now, "status.update_posted", public, status=status, body=text)
    if public.incident_id is not None:
        internal = session.get(Incident, public.incident_id)
        if internal is not None:
            record_event(
                session,
                internal,
                kind="public_update",
                principal=principal,
                now=now,
                body=text,
                data={"status": status, "public_incident": public.code, "components": changes},
            )
    if notify:
        queue.enqueue(
            session,
            kind=NOTIFY_JOB,
            payload={"update_id": update.id},
            now=now,
            idempotency_key=f"{NOTIFY_JOB}:{update.id}",
        )
    return update


def public_incident_of(session: Session, incident: Incident) -> PublicIncident | None:
    """The open public incident published from ``incident``, if any."""
    return session.scalars(
        select(PublicIncident)
        .where(PublicIncident.incident_id == incident.id)
        .order_by(PublicIncident.id.desc())
        .limit(1)
    ).first()


def publish_from_incident(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    *,
    body: str,
    status: str,
    components: Mapping[str, str] | None = None,
    name: str | None = None,
    impact: str | None = None,
    notify: bool = True,
) -> PublicUpdate:
    """ "Post public update" on an incident's page: component statuses and the
    public words in one step, on the incident's public incident (opened with
    the first update, and again after a resolved one)."""
    public = public_incident_of(session, incident)
    if public is None or not public.is_open:
        public = open_incident(
            session,
            principal,
            now,
            name=name or incident.title,
            body=body,
            status=status,
            impact=impact or "minor",
            components=components,
            incident=incident,
            notify=notify,
        )
        return public.updates[0] if public.updates else _latest(session, public)
    if name:
        public.name = _text(name, "name", 300)
    if impact:
        public.impact = _choice(impact, IMPACTS, "impact")
    return post_update(
        session,
        principal,
        now,
        public,
        status=status,
        body=body,
        components=components,
        notify=notify,
    )


def _latest(session: Session, public: PublicIncident) -> PublicUpdate:
    return session.scalars(
        select(PublicUpdate)
        .where(PublicUpdate.incident_id == public.id)
        .order_by(PublicUpdate.id.desc())
        .limit(1)
    ).one()


# --- templates -----------------------------------------------------------------------


def create_template(
    session: Session,
    principal: Principal | None,
    now: datetime,
    *,
    name: str,
    body: str,
    title: str = "",
    status: str = "investigating",
) -> UpdateTemplate:
    _choice(status, INCIDENT_STATUSES + MAINTENANCE_STATUSES, "status")
    name = _text(name, "name", 200)
    if session.scalars(select(UpdateTemplate).where(UpdateTemplate.name == name)).first():
        raise Conflict(f"a template named {name!r} exists", field="name")
    template = UpdateTemplate(
        name=name,
        status=status,
        title=_text(title, "title", 300, required=False),
        body=_text(body, "body", 20_000),
        created_at=now,
    )
    session.add(template)
    session.flush()
    _audit(session, principal, now, "status.template_created", template, name=name)
    return template


def templates(session: Session) -> list[UpdateTemplate]:
    return list(session.scalars(select(UpdateTemplate).order_by(UpdateTemplate.name)))
