"""The compliance report: a page to choose the period, the report as JSON
(API) and as a PDF."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from fireline.compliance.report import build
from fireline.core.deps import Principal, get_now, get_session, require
from fireline.core.errors import InvalidInput
from fireline.incidents.api import get_plan
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.web.pages import page_require
from fireline.web.pdf import html_to_pdf
from fireline.web.templating import render, templates

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])
page_manager = page_require(Role.manager)


def _date(description: str) -> Any:
    # One Query object per parameter: FastAPI binds a shared one to a single name.
    return Query(default="", max_length=10, description=description)


def period(
    since: str, until: str, principal: Principal, now: datetime
) -> tuple[datetime, datetime]:
    """The dates as the UTC moments the viewer's days start; ``until`` inclusive.
    Without dates: the last full quarter up to today."""
    zone = ZoneInfo(principal.time_zone)

    def day(value: str, field: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"expected a date like 2026-03-31, not {value!r}", field=field
            ) from None

    end = day(until, "until") if until else now.astimezone(zone).date()
    start = day(since, "since") if since else end - timedelta(days=90)
    return (
        datetime.combine(start, time(), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=zone),
    )


def _report(
    session: Session, plan: Plan, principal: Principal, now: datetime, since: str, until: str
) -> dict[str, Any]:
    start, end = period(since, until, principal, now)
    return build(session, plan, principal, since=start, until=end, now=now)


@api.get("/report")
def report_json(
    since: str = _date("first day, YYYY-MM-DD in your time zone; default: 90 days ago"),
    until: str = _date("last day (included), YYYY-MM-DD; default: today"),
    principal: Principal = Depends(require(Role.manager)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> JSONResponse:
    """The report as JSON: restricted incidents appear only for those who may see them."""
    return JSONResponse(_report(session, plan, principal, now, since, until))


@router.get("/compliance")
def compliance_page(
    request: Request,
    since: str = _date("first day, YYYY-MM-DD in your time zone; default: 90 days ago"),
    until: str = _date("last day (included), YYYY-MM-DD; default: today"),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    report = _report(session, plan, principal, now, since, until)
    context = {
        "title": "Compliance report",
        "report": report,
        "since": report["period"]["since"][:10],
        "until": until,
    }
    return render(request, "compliance/page.html", context, principal=principal)


@router.get("/compliance/report.pdf")
def report_pdf(
    since: str = _date("first day, YYYY-MM-DD in your time zone; default: 90 days ago"),
    until: str = _date("last day (included), YYYY-MM-DD; default: today"),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    report = _report(session, plan, principal, now, since, until)
    html = templates.env.get_template("compliance/report.html").render(report=report)
    name = f"incident-evidence-{report['period']['since'][:10]}.pdf"
    return Response(
        html_to_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
