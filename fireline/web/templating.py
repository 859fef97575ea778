"""Rendering pages: the Jinja2 environment, the navigation, and what every page gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from fireline import __version__
from fireline.core.deps import Principal
from fireline.web.markdown import render_markdown

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class NavEntry:
    label: str
    path: str


# One list for the whole layout: a new area adds its entry here.
NAVIGATION = (
    NavEntry("Dashboard", "/"),
    NavEntry("Incidents", "/incidents"),
    NavEntry("Deadlines", "/security/deadlines"),
    NavEntry("Alerts", "/alerts"),
    NavEntry("On-call", "/oncall"),
    NavEntry("Status page", "/statuspage"),
    NavEntry("Playbooks", "/playbooks"),
    NavEntry("Exercises", "/exercises"),
    NavEntry("Post-mortems", "/postmortems"),
    NavEntry("Insights", "/insights"),
    NavEntry("Settings", "/settings"),
)


def local_time(value: datetime | None, zone: str = "UTC", fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A UTC timestamp in the viewer's time zone."""
    if value is None:
        return "–"
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return value.astimezone(tz).strftime(fmt)


def duration(value: timedelta | None) -> str:
    """A span as people say it: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours = seconds // 60, seconds // 3600
    if hours == 0:
        return f"{minutes} min"
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} d {hours % 24} h"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["local_time"] = local_time
templates.env.filters["markdown"] = render_markdown
templates.env.filters["duration"] = duration
templates.env.globals["version"] = __version__


def current_section(path: str) -> str:
    for entry in sorted(NAVIGATION, key=lambda e: len(e.path), reverse=True):
        if entry.path == "/" and path == "/":
            return entry.path
        if entry.path != "/" and (path == entry.path or path.startswith(entry.path + "/")):
            return entry.path
    return ""


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    csrf_token: str | None = None,
) -> Response:
    """Render ``template`` with the caller, their CSRF token and the navigation."""
    page = {
        "principal": principal,
        "csrf_token": csrf_token or (principal.csrf_token if principal else None),
        "navigation": NAVIGATION if principal else (),
        "section": current_section(request.url.path),
        "time_zone": principal.time_zone if principal else "UTC",
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, page, status_code=status_code)
