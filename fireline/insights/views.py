"""The insights pages: metrics with charts, filters, the comparison with the
previous period, and the CSV export."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.incidents.api import get_plan
from fireline.insights import benchmarks, display, params, period, report, serialize
from fireline.insights.charts import charts
from fireline.insights.metrics import TIME_METRIC_NAMES
from fireline.people.models import Team
from fireline.plan.schema import Plan
from fireline.web.pages import page_viewer
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)


def _asked(
    since: str = Query(default="", max_length=10),
    until: str = Query(default="", max_length=10),
    preset: str = Query(default="", max_length=16),
    team: str = Query(default="", max_length=64),
    service: str = Query(default="", max_length=64),
    severity: str = Query(default="", max_length=16),
) -> params.Asked:
    return params.Asked(since, until, preset, team, service, severity)


@router.get("/insights")
def insights_page(
    request: Request,
    asked: params.Asked = Depends(_asked),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
    now: datetime = Depends(get_now),
) -> Response:
    severities = [s.key for s in plan.severities]
    context = {
        "title": "Insights",
        "asked": asked,
        "presets": period.PRESETS,
        "teams": list(session.scalars(select(Team).order_by(Team.name))),
        "services": list(session.scalars(select(Service).order_by(Service.name))),
        "severities": severities,
        "names": TIME_METRIC_NAMES,
        "benchmarks": benchmarks.BENCHMARKS,
        "query": request.url.query,
    }
    try:
        chosen, scope = params.resolve(session, plan, now, asked)
        built = report.build(session, plan, principal, period=chosen, scope=scope, now=now)
    except AppError as exc:
        context |= {"error": exc.message, "error_field": exc.field}
        return render(request, "insights/index.html", context, principal=principal, status_code=422)
    context |= {
        "report": built,
        "current": built.current,
        "previous": built.previous,
        "deltas": built.deltas,
        "charts": charts(built.current, severities),
        "headlines": display.headlines(built),
        "span": display.span,
        "rate": display.rate,
    }
    return render(request, "insights/index.html", context, principal=principal)


@router.get("/insights/export.csv")
def insights_csv(
    asked: params.Asked = Depends(_asked),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
    now: datetime = Depends(get_now),
) -> Response:
    chosen, scope = params.resolve(session, plan, now, asked)
    built = report.build(session, plan, principal, period=chosen, scope=scope, now=now)
    name = f"fireline-insights-{chosen.first_day}-{chosen.last_day}.csv"
    return Response(
        serialize.to_csv(built),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
