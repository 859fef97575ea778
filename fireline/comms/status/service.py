"""Use cases of the status page: public incidents and maintenance with their
updates, publishing from an internal incident, templates. The page and its
components are in ``components``, re-exported here so that callers find
every use case in one module; subscriptions are in ``subscriptions``.

Every change is audited; every component status change is kept (the uptime
bars are computed from them); every update that says so tells the
subscribers, through jobs queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms.status.components import (
    apply_statuses,
    find_component,
)
from fireline.comms.status.inputs import checked_text, new_code, one_of, record_change
from fireline.comms.status.models import (
    CLOSED_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    PublicIncident,
    PublicUpdate,
    UpdateTemplate,
)
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.core.jobs import queue
from fireline.exercises.guard import may_publish
from fireline.incidents.models import Incident
from fireline.incidents.service import record_event

NOTIFY_JOB = "status.notify"
MAINTENANCE_JOB = "status.maintenance"


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
    if incident is not None and not may_publish(incident):
        raise Conflict(f"{incident.ref} is an exercise: it never reaches the status page")
    public = PublicIncident(
        code=new_code(),
        kind="incident",
        name=checked_text(name, "name", 300),
        status=one_of(status, INCIDENT_STATUSES, "status"),
        impact=one_of(impact, IMPACTS, "impact"),
        incident_id=incident.id if incident else None,
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    checked_text(body, "body", 20_000)
    session.add(public)
    session.flush()
    record_change(session, principal, now, "status.incident_opened", public, name=public.name)
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
        name=checked_text(name, "name", 300),
        status="scheduled",
        impact="maintenance",
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        started_at=scheduled_for,
        created_at=now,
        updated_at=now,
    )
    checked_text(body, "body", 20_000)
    maintenance.components = found
    session.add(maintenance)
    session.flush()
    record_change(
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
    one_of(status, allowed, "status")
    text = checked_text(body, "body", 20_000)
    if not public.is_open and public.updates:
        raise Conflict(f"{public.name!r} is {public.status}; open a new one instead")
    wanted = dict(components or {})
    if status in CLOSED_STATUSES:
        for component in public.components:
            wanted.setdefault(component.code, "operational")
    elif status == "in_progress":
        for component in public.components:
            wanted.setdefault(component.code, "under_maintenance")
    touched, changes = apply_statuses(session, principal, now, wanted)
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
    record_change(session, principal, now, "status.update_posted", public, status=status, body=text)
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
        public.name = checked_text(name, "name", 300)
    if impact:
        public.impact = one_of(impact, IMPACTS, "impact")
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
    one_of(status, INCIDENT_STATUSES + MAINTENANCE_STATUSES, "status")
    name = checked_text(name, "name", 200)
    if session.scalars(select(UpdateTemplate).where(UpdateTemplate.name == name)).first():
        raise Conflict(f"a template named {name!r} exists", field="name")
    template = UpdateTemplate(
        name=name,
        status=status,
        title=checked_text(title, "title", 300, required=False),
        body=checked_text(body, "body", 20_000),
        created_at=now,
    )
    session.add(template)
    session.flush()
    record_change(session, principal, now, "status.template_created", template, name=name)
    return template


def templates(session: Session) -> list[UpdateTemplate]:
    return list(session.scalars(select(UpdateTemplate).order_by(UpdateTemplate.name)))
