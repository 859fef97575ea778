"""Use cases of the status page itself and its components: the page's look,
groups, components and their statuses (every change is kept: the uptime
bars are computed from them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.comms.status.inputs import checked_text, new_code, one_of, record_change
from fireline.comms.status.models import (
    COMPONENT_STATUSES,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    StatusPageSettings,
)
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.ids import as_row_id

_HEX_COLOUR = "0123456789abcdefABCDEF"


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
        changes["name"] = checked_text(name, "name", 200)
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
    record_change(session, principal, now, "status.page_updated", page, **changes)
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
    return checked_text(url, field, 2000, required=False)


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
        name=checked_text(name, "name", 200),
        description=checked_text(description, "description", 1000, required=False),
        position=position,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    session.flush()
    record_change(session, principal, now, "status.group_created", group, name=group.name)
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
        group.name = changes["name"] = checked_text(name, "name", 200)
    if description is not None:
        group.description = changes["description"] = checked_text(
            description, "description", 1000, required=False
        )
    if position is not None:
        if position < 0:
            raise InvalidInput("expected 0 or more", field="position")
        group.position = changes["position"] = position
    group.updated_at = now
    record_change(session, principal, now, "status.group_updated", group, **changes)
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
        name=checked_text(name, "name", 200),
        description=checked_text(description, "description", 1000, required=False),
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
    record_change(
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
        component.name = changes["name"] = checked_text(name, "name", 200)
    if description is not None:
        component.description = changes["description"] = checked_text(
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
    record_change(session, principal, now, "status.component_updated", component, **changes)
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
    one_of(status, COMPONENT_STATUSES, "status")
    old = component.status
    if old == status:
        return None
    component.status = status
    component.updated_at = now
    session.add(ComponentStatusChange(component_id=component.id, status=status, at=now))
    record_change(
        session, principal, now, "status.component_status", component, old=old, new=status
    )
    return old


def apply_statuses(
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
        one_of(status, COMPONENT_STATUSES, "components")
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
