"""The web pages: dashboard and the areas of the navigation.

Each group of pages lives in its own module; this router gathers them so the
app factory includes one router for the whole web layer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.alerts import queries as alert_queries
from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.jobs import queue
from fireline.incidents import views as incident_views
from fireline.incidents.queries import IncidentFilter, list_incidents
from fireline.oncall import contacts, paging_views
from fireline.oncall.schedules import user_names
from fireline.oncall.views import on_call_now
from fireline.people.models import Team, User
from fireline.web import auth_views, settings_views
from fireline.web.pages import page_viewer
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(auth_views.router)
router.include_router(settings_views.router)
router.include_router(incident_views.router)

# Areas whose pages arrive with later features; each says what it will hold.
AREAS: dict[str, tuple[str, str, str]] = {}


SHOWN = 5  # of each list on the dashboard; each card links to the whole list


@router.get("/")
def dashboard(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """What needs attention first: open incidents, firing alerts, pages still
    open, and who is on call; then the organisation and the jobs."""

    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    schedules = on_call_now(session, now)
    context = {
        "title": "Dashboard",
        "counts": {"people": count(User), "teams": count(Team), "services": count(Service)},
        "jobs": queue.counts_by_state(session),
        "open_incidents": list_incidents(
            session, principal, IncidentFilter(status="open", limit=SHOWN)
        ),
        "alert_counts": alert_queries.open_counts(session),
        "firing": alert_queries.list_groups(
            session, alert_queries.GroupFilter(status="triggered", limit=SHOWN)
        ),
        "pages": paging_views.describe(
            paging_views.recent_pages(session, principal, SHOWN, open_only=True)
        ),
        "schedules": schedules,
        "people": user_names(session, {e["shift"].user_id for e in schedules if e["shift"]}),
        "unreachable": len(contacts.reachability_warnings(session)),
        "base_url": str(request.base_url).rstrip("/"),
    }
    return render(request, "dashboard.html", context, principal=principal)


@router.get("/dashboard/jobs")
def dashboard_jobs(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
) -> Response:
    """The jobs card alone, refreshed in place by htmx."""
    context = {"jobs": queue.counts_by_state(session)}
    return render(request, "_jobs_card.html", context, principal=principal)


def _area_page(path: str) -> Callable[..., Response]:
    title, description, empty = AREAS[path]

    def page(request: Request, principal: Principal = Depends(page_viewer)) -> Response:
        context = {"title": title, "description": description, "empty": empty}
        return render(request, "area.html", context, principal=principal)

    page.__name__ = f"area_{path.strip('/')}"
    return page


for _path in AREAS:
    router.add_api_route(_path, _area_page(_path), methods=["GET"])
