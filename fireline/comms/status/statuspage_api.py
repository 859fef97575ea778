"""The public JSON API in the shape of Atlassian Statuspage v2, so widgets,
dashboards and bots written for a Statuspage page read fireline by changing
only the host.

Field names and types follow Statuspage's public API: ids are strings (the
``code`` columns), timestamps ISO 8601 with the page's offset, groups appear
among the components with ``group: true`` and their children's ids. Answers
may be cached for 30 seconds and read from any origin (widgets fetch them
from other sites).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from fireline.comms.status import queries
from fireline.comms.status.models import Component, PublicIncident, PublicUpdate
from fireline.comms.status.queries import GroupView, Snapshot
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.deps import get_database, get_now, get_settings_dep

router = APIRouter(prefix="/api/v2", tags=["status page (public)"])

PUBLIC_HEADERS = {
    "Cache-Control": "public, max-age=30",
    "Access-Control-Allow-Origin": "*",
}

Json = dict[str, Any]


def public_base(settings: Settings, request: Request) -> str:
    """The site's public address: the configured one, else the one asked for."""
    return (settings.base_url or str(request.base_url)).rstrip("/")


class Shape:
    """Turns the read model into Statuspage's JSON, in the page's time zone."""

    def __init__(self, snapshot: Snapshot, base_url: str) -> None:
        self.snapshot = snapshot
        self.page_id = snapshot.settings.code
        self.zone: ZoneInfo = queries.page_zone(snapshot.settings)
        self.base_url = base_url
        self.group_codes = {g.group.id: g.group.code for g in snapshot.groups}
        # Groups, each followed by its components, then the ungrouped ones:
        # the page's order, numbered from 1 so consumers that sort by
        # position see it too.
        self.order: list[GroupView | Component] = []
        for view in snapshot.groups:
            self.order += [view, *view.components]
        self.order += snapshot.ungrouped
        self.positions = {
            item.id: n for n, item in enumerate(self.order, start=1) if isinstance(item, Component)
        }

    def time(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(self.zone).isoformat(timespec="milliseconds")

    def page(self) -> Json:
        settings = self.snapshot.settings
        return {
            "id": self.page_id,
            "name": settings.name,
            "url": f"{self.base_url}/status",
            "time_zone": settings.time_zone,
            "updated_at": self.time(self.snapshot.updated_at),
        }

    def status(self) -> Json:
        found = self.snapshot.overall
        return {"indicator": found.indicator, "description": found.description}

    def component(self, component: Component, position: int) -> Json:
        return {
            "id": component.code,
            "name": component.name,
            "status": component.status,
            "created_at": self.time(component.created_at),
            "updated_at": self.time(component.updated_at),
            "position": position,
            "description": component.description or None,
            # Statuspage's showcase means "show the uptime bar": fireline always does.
            "showcase": True,
            "start_date": component.created_at.astimezone(self.zone).date().isoformat(),
            "group_id": self.group_codes.get(component.group_id or 0),
            "page_id": self.page_id,
            "group": False,
            "only_show_if_degraded": component.only_show_if_degraded,
        }

    def group(self, view: GroupView, position: int) -> Json:
        group = view.group
        return {
            "id": group.code,
            "name": group.name,
            "status": view.status,
            "created_at": self.time(group.created_at),
            "updated_at": self.time(group.updated_at),
            "position": position,
            "description": group.description or None,
            "showcase": False,
            "start_date": None,
            "group_id": None,
            "page_id": self.page_id,
            "group": True,
            "only_show_if_degraded": False,
            "components": [c.code for c in view.components],
        }

    def components(self) -> list[Json]:
        return [
            self.group(item, n) if isinstance(item, GroupView) else self.component(item, n)
            for n, item in enumerate(self.order, start=1)
        ]

    def update(self, update: PublicUpdate, incident: PublicIncident) -> Json:
        affected = [
            {
                "code": a.get("code", ""),
                "name": a.get("name", ""),
                "old_status": a.get("old_status", ""),
                "new_status": a.get("new_status", ""),
            }
            for a in update.affected_components or []
        ]
        return {
            "id": update.code,
            "status": update.status,
            "body": update.body,
            "incident_id": incident.code,
            "created_at": self.time(update.at),
            "updated_at": self.time(update.at),
            "display_at": self.time(update.at),
            "affected_components": affected or None,
            "deliver_notifications": update.notify_subscribers,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incident(self, incident: PublicIncident) -> Json:
        found: Json = {
            "id": incident.code,
            "name": incident.name,
            "status": incident.status,
            "created_at": self.time(incident.created_at),
            "updated_at": self.time(incident.updated_at),
            "monitoring_at": self.time(incident.monitoring_at),
            "resolved_at": self.time(incident.resolved_at),
            "impact": incident.impact,
            "shortlink": f"{self.base_url}/status/incidents/{incident.code}",
            "started_at": self.time(incident.started_at),
            "page_id": self.page_id,
            # Newest first, as Statuspage lists them.
            "incident_updates": [self.update(u, incident) for u in incident.updates],
            "components": [
                self.component(c, self.positions.get(c.id, 0)) for c in incident.components
            ],
        }
        if incident.kind == "maintenance":
            found["scheduled_for"] = self.time(incident.scheduled_for)
            found["scheduled_until"] = self.time(incident.scheduled_until)
        return found

    def incidents(self, incidents: list[PublicIncident]) -> list[Json]:
        return [self.incident(i) for i in incidents]


def _answer(body: Json) -> JSONResponse:
    return JSONResponse(body, headers=PUBLIC_HEADERS)


class _Context:
    """What every endpoint here depends on, in one parameter."""

    def __init__(
        self,
        request: Request,
        db: Database = Depends(get_database),
        now: datetime = Depends(get_now),
        settings: Settings = Depends(get_settings_dep),
    ) -> None:
        self.request, self.db, self.now, self.settings = request, db, now, settings

    def shape(self) -> Shape:
        with queries.reading(self.db, self.now) as session:
            snapshot = queries.load(session)
        return Shape(snapshot, public_base(self.settings, self.request))

    def recent(self, kind: str) -> tuple[Shape, list[PublicIncident]]:
        with queries.reading(self.db, self.now) as session:
            snapshot = queries.load(session)
            found = queries.recent_incidents(session, kind=kind)
        return Shape(snapshot, public_base(self.settings, self.request)), found


@router.get("/summary.json", summary="Page, status, components, open incidents and maintenance")
def summary(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    snapshot = shape.snapshot
    return _answer(
        {
            "page": shape.page(),
            "components": shape.components(),
            "incidents": shape.incidents(snapshot.open_incidents),
            "scheduled_maintenances": shape.incidents(
                snapshot.active_maintenance + snapshot.upcoming
            ),
            "status": shape.status(),
        }
    )


@router.get("/status.json", summary="The page's overall indicator and description")
def status(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    return _answer({"page": shape.page(), "status": shape.status()})


@router.get("/components.json", summary="Every component and group")
def components(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    return _answer({"page": shape.page(), "components": shape.components()})


@router.get("/incidents.json", summary="The 50 newest incidents, open or resolved")
def incidents(context: _Context = Depends()) -> JSONResponse:
    shape, found = context.recent("incident")
    return _answer({"page": shape.page(), "incidents": shape.incidents(found)})


@router.get("/incidents/unresolved.json", summary="Incidents not resolved yet")
def unresolved(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    return _answer(
        {"page": shape.page(), "incidents": shape.incidents(shape.snapshot.open_incidents)}
    )


@router.get("/scheduled-maintenances.json", summary="The 50 newest scheduled maintenances")
def maintenances(context: _Context = Depends()) -> JSONResponse:
    shape, found = context.recent("maintenance")
    return _answer({"page": shape.page(), "scheduled_maintenances": shape.incidents(found)})


@router.get("/scheduled-maintenances/upcoming.json", summary="Maintenances not started yet")
def upcoming(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    return _answer(
        {"page": shape.page(), "scheduled_maintenances": shape.incidents(shape.snapshot.upcoming)}
    )


@router.get("/scheduled-maintenances/active.json", summary="Maintenances in progress")
def active(context: _Context = Depends()) -> JSONResponse:
    shape = context.shape()
    return _answer(
        {
            "page": shape.page(),
            "scheduled_maintenances": shape.incidents(shape.snapshot.active_maintenance),
        }
    )
