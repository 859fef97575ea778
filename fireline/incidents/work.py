"""Work around an incident: tasks during the response, action items after it,
and how incidents relate (related, parent and child, merged duplicates)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.incidents.models import ActionItem, Incident, IncidentLink, Task
from fireline.incidents.service import record_event
from fireline.people.service import find_user
from fireline.plan.schema import Plan

TASK_STATUSES = ("todo", "doing", "done", "cancelled")
ITEM_STATUSES = ("open", "in_progress", "done", "wont_do")
ITEM_PRIORITIES = ("low", "medium", "high", "critical")
CLOSED_ITEM_STATUSES = ("done", "wont_do")


def _title(value: str) -> str:
    title = value.strip()
    if not title or len(title) > 300:
        raise InvalidInput("a title of 1 to 300 characters is required", field="title")
    return title


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"unknown {field} {value!r}; expected one of {', '.join(allowed)}", field=field
        )
    return value


def _user_id(session: Session, ref: str | None, field: str) -> int | None:
    if not ref:
        return None
    try:
        return find_user(session, ref).id
    except NotFound as exc:
        raise InvalidInput(exc.message, field=field) from None


# --- tasks --------------------------------------------------------------------------


def task_role(plan: Plan, value: str | None) -> str | None:
    """A task can belong to one of the plan's roles (legal's review of the
    notice, HR's interview), so each role sees its own work."""
    if not value:
        return None
    try:
        return plan.role(value).key
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0]), field="role") from None


def add_task(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    *,
    title: str,
    assignee: str | None = None,
    due_at: datetime | None = None,
    role: str | None = None,
) -> Task:
    """``role``: the plan role whose work it is (checked with :func:`task_role`)."""
    task = Task(
        incident_id=incident.id,
        title=_title(title),
        assignee_id=_user_id(session, assignee, "assignee"),
        status="todo",
        due_at=due_at,
        role_key=role,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    record_event(
        session,
        incident,
        kind="task_added",
        principal=principal,
        now=now,
        body=task.title,
        data={"task_id": task.id, "assignee_id": task.assignee_id, "role": role},
    )
    return task


def update_task(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    task_id: int,
    *,
    status: str | None = None,
    assignee: str | None = None,
    title: str | None = None,
) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.incident_id != incident.id:
        raise NotFound(f"no task {task_id} on {incident.ref}")
    changes: dict[str, object] = {}
    if status is not None and status != task.status:
        changes["status"] = [task.status, _choice(status, TASK_STATUSES, "status")]
        task.status = status
    if assignee is not None:
        new_id = _user_id(session, assignee, "assignee")
        changes["assignee_id"] = [task.assignee_id, new_id]
        task.assignee_id = new_id
    if title is not None:
        changes["title"] = [task.title, _title(title)]
        task.title = title.strip()
    if changes:
        task.updated_at = now
        record_event(
            session,
            incident,
            kind="task_updated",
            principal=principal,
            now=now,
            body=task.title,
            data={"task_id": task.id, **changes},
        )
    return task


def tasks(session: Session, incident: Incident) -> list[Task]:
    return list(
        session.scalars(select(Task).where(Task.incident_id == incident.id).order_by(Task.id))
    )


# --- action items ----------------------------------------------------------------------


def add_action_item(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    title: str,
    owner: str | None = None,
    due_date: date | None = None,
    priority: str = "medium",
    ticket_url: str = "",
) -> ActionItem:
    if ticket_url and not ticket_url.startswith(("http://", "https://")):
        raise InvalidInput("expected an http(s) URL", field="ticket_url")
    item = ActionItem(
        incident_id=incident.id,
        title=_title(title),
        owner_id=_user_id(session, owner, "owner"),
        due_date=due_date,
        priority=_choice(priority, ITEM_PRIORITIES, "priority"),
        status="open",
        ticket_url=ticket_url,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    record_event(
        session,
        incident,
        kind="action_item_added",
        principal=principal,
        now=now,
        body=item.title,
        data={"action_item_id": item.id, "owner_id": item.owner_id, "priority": item.priority},
    )
    return item


_UNSET: Any = object()


def update_action_item(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    item_id: int,
    *,
    title: str | None = None,
    owner: str | None = None,
    due_date: date | None = _UNSET,
    priority: str | None = None,
    status: str | None = None,
    ticket_url: str | None = None,
) -> ActionItem:
    """Change any of an item's fields in one step, recorded as one timeline
    event (whose listeners reschedule the item's reminders). ``owner`` "" and
    ``due_date`` None clear them; leaving an argument out keeps the field."""
    item = session.get(ActionItem, item_id)
    if item is None or item.incident_id != incident.id:
        raise NotFound(f"no action item {item_id} on {incident.ref}")
    changes: dict[str, object] = {}

    def change(name: str, new: object) -> None:
        old = getattr(item, name)
        if new != old:
            changes[name] = [
                old.isoformat() if isinstance(old, date) else old,
                new.isoformat() if isinstance(new, date) else new,
            ]
            setattr(item, name, new)

    if title is not None:
        change("title", _title(title))
    if owner is not None:
        change("owner_id", _user_id(session, owner.strip(), "owner"))
    if due_date is not _UNSET:
        change("due_date", due_date)
    if priority is not None:
        change("priority", _choice(priority, ITEM_PRIORITIES, "priority"))
    if ticket_url is not None:
        if ticket_url and not ticket_url.startswith(("http://", "https://")):
            raise InvalidInput("expected an http(s) URL", field="ticket_url")
        change("ticket_url", ticket_url)
    if status is not None:
        was_closed = item.status in CLOSED_ITEM_STATUSES
        change("status", _choice(status, ITEM_STATUSES, "status"))
        if (item.status in CLOSED_ITEM_STATUSES) != was_closed:
            item.closed_at = now if item.status in CLOSED_ITEM_STATUSES else None
    if changes:
        item.updated_at = now
        record_event(
            session,
            incident,
            kind="action_item_updated",
            principal=principal,
            now=now,
            body=item.title,
            data={"action_item_id": item.id, **changes},
        )
    return item


def action_items(session: Session, incident: Incident) -> list[ActionItem]:
    query = select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(ActionItem.id)
    return list(session.scalars(query))


# --- related, parent and child, merged ------------------------------------------------------


def relate(
    session: Session, principal: Principal, now: datetime, incident: Incident, other: Incident
) -> None:
    if other.id == incident.id:
        raise InvalidInput("an incident cannot be related to itself", field="incident")
    low, high = sorted((incident.id, other.id))
    exists = session.scalar(
        select(IncidentLink).where(IncidentLink.incident_id == low, IncidentLink.other_id == high)
    )
    if exists is not None:
        raise Conflict(f"{incident.ref} and {other.ref} are already related", field="incident")
    session.add(IncidentLink(incident_id=low, other_id=high, created_at=now))
    for one, two in ((incident, other), (other, incident)):
        record_event(
            session, one, kind="related", principal=principal, now=now, data={"incident": two.ref}
        )


def related(session: Session, incident: Incident) -> list[int]:
    links = session.scalars(
        select(IncidentLink).where(
            or_(IncidentLink.incident_id == incident.id, IncidentLink.other_id == incident.id)
        )
    )
    return [
        link.other_id if link.incident_id == incident.id else link.incident_id for link in links
    ]


def set_parent(
    session: Session, principal: Principal, now: datetime, child: Incident, parent: Incident
) -> None:
    ancestor: Incident | None = parent
    while ancestor is not None:
        if ancestor.id == child.id:
            raise InvalidInput(
                f"{parent.ref} is {child.ref} or one of its children; that would make a loop",
                field="incident",
            )
        ancestor = ancestor.parent
    child.parent_id = parent.id
    record_event(
        session, child, kind="parent_set", principal=principal, now=now, data={"parent": parent.ref}
    )
    record_event(
        session, parent, kind="child_added", principal=principal, now=now, data={"child": child.ref}
    )


def children(session: Session, incident: Incident) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident).where(Incident.parent_id == incident.id).order_by(Incident.id)
        )
    )


def merge(
    session: Session, principal: Principal, now: datetime, duplicate: Incident, into: Incident
) -> None:
    """Fold a duplicate into another incident. The duplicate keeps its own timeline,
    which the surviving incident's timeline shows alongside its own."""
    if duplicate.id == into.id:
        raise InvalidInput("an incident cannot be merged into itself", field="into")
    if into.merged_into_id is not None:
        raise InvalidInput(
            f"{into.ref} was itself merged; merge into the incident it went to", field="into"
        )
    if duplicate.merged_into_id is not None:
        raise Conflict(f"{duplicate.ref} is already merged", field="into")
    if duplicate.restricted and not into.restricted:
        raise InvalidInput(
            "a restricted incident can only be merged into a restricted one", field="into"
        )
    duplicate.merged_into_id = into.id
    duplicate.is_open = False
    duplicate.updated_at = now
    record_event(
        session,
        duplicate,
        kind="merged",
        principal=principal,
        now=now,
        data={"into": into.ref},
        pinned=True,
    )
    record_event(
        session,
        into,
        kind="merged_here",
        principal=principal,
        now=now,
        data={"duplicate": duplicate.ref},
        pinned=True,
    )
