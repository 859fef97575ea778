"""The public status page at /status: no login, no JavaScript, a standalone
layout. Pages read through a read-only session (on SQLite it never waits for
the writer), because this is what everyone refreshes during an outage.

The brand colour arrives as a tiny stylesheet of its own (/status/theme.css)
rather than an inline style, so the page keeps the strict CSP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fireline.comms.status import feed, queries
from fireline.comms.status.models import Component, ComponentGroup, StatusPageSettings
from fireline.comms.status.overall import component_label
from fireline.comms.status.queries import Snapshot
from fireline.comms.status.statuspage_api import PUBLIC_HEADERS, public_base
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.deps import get_database, get_now, get_settings_dep
from fireline.web.security_headers import CONTENT_SECURITY_POLICY
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)

HISTORY_LIMIT = 200
RECENT_ON_PAGE = 10
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class _Context:
    def __init__(
        self,
        request: Request,
        db: Database = Depends(get_database),
        now: datetime = Depends(get_now),
        settings: Settings = Depends(get_settings_dep),
    ) -> None:
        self.request, self.db, self.now = request, db, now
        self.base_url = public_base(settings, request)


def _csp(settings: StatusPageSettings) -> str:
    """The app's policy, plus the logo's origin for images only: a logo is
    usually hosted elsewhere, and nothing else on the page needs to be."""
    parts = urlsplit(settings.logo_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return CONTENT_SECURITY_POLICY
    origin = f"{parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


def _page(
    context: _Context,
    template: str,
    settings: StatusPageSettings,
    values: dict[str, object],
    status_code: int = 200,
) -> Response:
    zone = queries.page_zone(settings)
    response = render(
        context.request,
        f"status/public/{template}",
        {
            "page": settings,
            "time_zone": zone.key,
            "theme_version": int(settings.updated_at.timestamp()),
            "label": component_label,
            **values,
        },
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = _csp(settings)
    return response


def _not_found(context: _Context, settings: StatusPageSettings, what: str) -> Response:
    return _page(context, "not_found.html", settings, {"what": what}, status_code=404)


def _visible(component: Component) -> bool:
    return not (component.only_show_if_degraded and component.status == "operational")


@dataclass(frozen=True)
class Section:
    """A block of the component list: a group (None: the ungrouped ones)."""

    group: ComponentGroup | None
    status: str
    components: list[Component]


def _sections(snapshot: Snapshot) -> list[Section]:
    """What the component list shows: groups with their visible components,
    then the ungrouped ones; a group with nothing to show is left out."""
    sections = []
    for view in snapshot.groups:
        shown = [c for c in view.components if _visible(c)]
        if shown:
            sections.append(Section(view.group, view.status, shown))
    ungrouped = [c for c in snapshot.ungrouped if _visible(c)]
    if ungrouped:
        sections.append(Section(None, "operational", ungrouped))
    return sections


@router.get("/status")
def status_page(context: _Context = Depends()) -> Response:
    with queries.reading(context.db, context.now) as session:
        snapshot = queries.load(session, recent=RECENT_ON_PAGE + 10)
        sections = _sections(snapshot)
        shown = [c for section in sections for c in section.components]
        zone = queries.page_zone(snapshot.settings)
        uptimes = queries.uptimes(session, shown, now=context.now, zone=zone)
    past = [i for i in snapshot.recent if not i.is_open][:RECENT_ON_PAGE]
    return _page(
        context,
        "page.html",
        snapshot.settings,
        {
            "overall": snapshot.overall,
            "incidents": snapshot.open_incidents,
            "active_maintenance": snapshot.active_maintenance,
            "upcoming": snapshot.upcoming,
            "sections": sections,
            "uptimes": uptimes,
            "day_title": queries.day_title,
            "past": past,
            "page_url": f"{context.base_url}/status",
        },
    )


@router.get("/status/incidents/{code}")
def incident_page(code: str, context: _Context = Depends()) -> Response:
    with queries.reading(context.db, context.now) as session:
        settings = queries.find_settings(session)
        incident = queries.find_incident(session, code)
    assert settings is not None  # queries.reading made it
    if incident is None:
        return _not_found(context, settings, "There is no incident or maintenance at this address.")
    return _page(context, "incident.html", settings, {"incident": incident})


@router.get("/status/history")
def history_page(context: _Context = Depends()) -> Response:
    with queries.reading(context.db, context.now) as session:
        settings = queries.find_settings(session)
        found = queries.recent_incidents(session, limit=HISTORY_LIMIT)
    assert settings is not None
    months = queries.by_month(found, queries.page_zone(settings))
    return _page(context, "history.html", settings, {"months": months})


@router.get("/status/history.atom")
def history_feed(component: str | None = None, context: _Context = Depends()) -> Response:
    with queries.reading(context.db, context.now) as session:
        settings = queries.find_settings(session)
        assert settings is not None
        chosen = queries.find_component(session, component) if component else None
        if component and chosen is None:
            return _not_found(context, settings, "There is no component with this code.")
        found = queries.recent_incidents(session, component=chosen, limit=queries.RECENT)
    self_url = f"{context.base_url}/status/history.atom"
    if chosen is not None:
        self_url += f"?component={chosen.code}"
    body = feed.build(
        found,
        settings=settings,
        base_url=context.base_url,
        self_url=self_url,
        now=context.now,
        title_suffix=f": {chosen.name}" if chosen else "",
    )
    return Response(body, media_type=feed.MEDIA_TYPE, headers=PUBLIC_HEADERS)


@router.get("/status/theme.css")
def theme(context: _Context = Depends()) -> Response:
    """The brand colour as a custom property; the page links it with the
    settings' version in the query, so it can be cached for long."""
    with queries.reading(context.db, context.now) as session:
        settings = queries.find_settings(session)
    colour = settings.brand_color if settings else ""
    if not _COLOUR.fullmatch(colour or ""):  # never let stored text into CSS
        colour = "#1f6feb"
    return Response(
        f":root {{ --brand: {colour}; }}\n",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400"},
    )
