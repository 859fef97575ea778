"""What the signed-in status page screens share: components in page order,
reading their forms (the per-component status selects above all), the
page's overall state, and the "Post public update" panel of an incident's
page.

Every form that sets component statuses shows one select per component,
pre-filled with its status, and beside it (hidden) the status it showed. A
select left as it was is no change, so a status someone else set while the
form was open is not undone by posting it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData

from fireline.comms.status import service
from fireline.comms.status.models import (
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    Component,
    ComponentGroup,
    PublicIncident,
)
from fireline.comms.status.overall import Overall, component_label, overall
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.core.ids import as_row_id
from fireline.incidents.models import Incident
from fireline.oncall.view_kit import local_moment, text, values_of, zone_of
from fireline.people.models import User

STATUS_FIELD = "component.{}"
SHOWN_FIELD = "was.{}"
# Public codes are made by inputs.new_code; anything else cannot name one.
CODE = re.compile(r"^[a-z0-9]{1,32}$")


def groups(session: Session) -> list[ComponentGroup]:
    return list(
        session.scalars(select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id))
    )


def components_in_order(session: Session) -> list[Component]:
    """Every component as the page lists them: by group, then ungrouped ones."""
    rank = {group.id: n for n, group in enumerate(groups(session))}
    found = session.scalars(
        select(Component)
        .options(selectinload(Component.services))
        .order_by(Component.position, Component.id)
    ).all()
    return sorted(found, key=lambda c: rank.get(c.group_id or 0, len(rank)))


def grouped(session: Session) -> list[tuple[ComponentGroup | None, list[Component]]]:
    """The groups with their components, then the ungrouped ones under ``None``."""
    components = components_in_order(session)
    shown: list[tuple[ComponentGroup | None, list[Component]]] = [
        (group, [c for c in components if c.group_id == group.id]) for group in groups(session)
    ]
    ungrouped = [c for c in components if c.group_id is None]
    if ungrouped:
        shown.append((None, ungrouped))
    return shown


def open_public(session: Session, kind: str) -> list[PublicIncident]:
    """Open public incidents (or maintenance), the soonest or newest first."""
    order = (
        (PublicIncident.scheduled_for, PublicIncident.id)
        if kind == "maintenance"
        else (PublicIncident.created_at.desc(), PublicIncident.id.desc())
    )
    rows = session.scalars(
        select(PublicIncident).where(PublicIncident.kind == kind).order_by(*order)
    )
    return [row for row in rows if row.is_open]


def overall_now(session: Session, components: list[Component]) -> Overall:
    impacts = [p.impact for p in open_public(session, "incident")]
    return overall([c.status for c in components], impacts)


def statuses_of(form: FormData, components: list[Component]) -> dict[str, str]:
    """The statuses the form changes, by component code (see the module notes)."""
    changed = {}
    for component in components:
        field = STATUS_FIELD.format(component.id)
        posted = form.get(field)
        if not isinstance(posted, str) or not posted:
            continue
        if posted not in COMPONENT_STATUSES:
            raise InvalidInput("choose a status from the list", field=field)
        shown = form.get(SHOWN_FIELD.format(component.id))
        if posted != (shown if isinstance(shown, str) else component.status):
            changed[component.code] = posted
    return changed


def status_inputs(form: FormData) -> dict[str, str]:
    """The selects and what they showed, to show a failed form again as sent."""
    return {
        key: value[:32]
        for key, value in form.multi_items()
        if isinstance(value, str) and key.startswith(("component.", "was."))
    }


def status_choices() -> list[tuple[str, str]]:
    return [(status, component_label(status)) for status in COMPONENT_STATUSES]


def public_update_context(session: Session, incident: Incident) -> dict[str, Any]:
    """What the incident page's "Post public update" panel shows: the public
    incident's latest update, and the components, those standing for the
    incident's services first since they are the likely ones to change."""
    public = service.public_incident_of(session, incident)
    components = components_in_order(session)
    services = {s.id for s in incident.services}
    linked = [c for c in components if any(s.id in services for s in c.services)]
    return {
        "public_incident": public,
        "public_latest": public.updates[0] if public and public.updates else None,
        "public_components": linked + [c for c in components if c not in linked],
        "public_linked": {c.id for c in linked},
        "public_statuses": INCIDENT_STATUSES,
        "public_impacts": IMPACTS,
        "component_choices": status_choices(),
        "public_form": {},
        "public_failure": {},
    }


# --- reading the forms, and who wrote what ---------------------------------------


def component_input(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name", 200),
        "description": text(form, "description", 1000),
        "group": group_ref(form),
        "services": service_refs(form),
        "only_show_if_degraded": form.get("only_show_if_degraded") == "on",
    }


def group_ref(form: FormData) -> str:
    """A group's id from the select, or "" for none: anything else is refused
    here, so that no name lookup runs on a stray value."""
    value = text(form, "group", 20)
    if value and as_row_id(value) is None:
        raise InvalidInput("choose a group from the list", field="group")
    return value


def service_refs(form: FormData) -> list[str]:
    refs = [v.strip() for v in form.getlist("services") if isinstance(v, str) and v.strip()]
    if any(len(ref) > 64 or "\x00" in ref for ref in refs):
        raise InvalidInput("choose services from the list", field="services")
    return refs


def component_values(form: FormData) -> dict[str, Any]:
    return {
        **values_of(form, ("name", "description", "group")),
        "services": [str(v) for v in form.getlist("services")],
        "only_show_if_degraded": form.get("only_show_if_degraded") == "on",
    }


def window(form: FormData, principal: Principal) -> tuple[datetime, datetime]:
    """The start and end typed in the viewer's own time zone, as instants."""
    zone = zone_of(principal.time_zone)
    moments = []
    for field in ("scheduled_for", "scheduled_until"):
        moment = local_moment(form, field, zone)
        if moment is None:
            raise InvalidInput("choose a date and time", field=field)
        moments.append(moment)
    return moments[0], moments[1]


def picked_components(form: FormData) -> list[str]:
    picked = [v for v in form.getlist("components") if isinstance(v, str) and v]
    if any(as_row_id(v) is None for v in picked):
        raise InvalidInput("choose components from the list", field="components")
    return picked


def authors(session: Session, public: PublicIncident) -> dict[int, str]:
    ids = {u.author_id for u in public.updates if u.author_id is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}
