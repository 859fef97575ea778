"""On-call pages: the overview (who is on call now, pages in flight, who
cannot be reached), and the routers of the schedule, policy, contact and
paging pages, gathered under /oncall.

Pages admit the same roles as the matching JSON routes in
``fireline.oncall.api`` and ``fireline.oncall.contacts_api``: viewers read
and manage their own contact methods, responders add overrides and act on
pages, managers create schedules and policies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.oncall import contact_views, contacts, paging_views, policy_views, schedule_views
from fireline.oncall.models import Schedule
from fireline.oncall.schedules import HORIZON, user_names
from fireline.oncall.view_kit import page
from fireline.web.pages import page_viewer

router = APIRouter(prefix="/oncall", include_in_schema=False)
router.include_router(schedule_views.router)
router.include_router(policy_views.router)
router.include_router(contact_views.router)
router.include_router(paging_views.router)

ACTIVE_SHOWN = 20


def on_call_now(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every schedule with its shift on now, or why it cannot say."""
    rows = []
    for schedule in session.scalars(select(Schedule).order_by(Schedule.name)):
        entry: dict[str, Any] = {"schedule": schedule, "shift": None, "problem": None}
        try:
            entry["shift"] = schedule_views.current_shift(session, schedule, now)
        except AppError as exc:  # a layer stored before a check existed; say which
            entry["problem"] = f"{exc.field}: {exc.message}" if exc.field else exc.message
        rows.append(entry)
    return rows


@router.get("")
def overview(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedules = on_call_now(session, now)
    people = user_names(session, {e["shift"].user_id for e in schedules if e["shift"]})
    context = {
        "title": "On-call",
        "schedules": schedules,
        "people": people,
        "horizon_end": now + HORIZON,
        "active": paging_views.describe(
            paging_views.recent_pages(session, principal, ACTIVE_SHOWN, open_only=True)
        ),
        "warnings": contacts.reachability_warnings(session),
    }
    return page(request, principal, now, "oncall/overview.html", context)
