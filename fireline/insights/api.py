"""JSON API for insights: every metric for a period, the previous period and the deltas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_viewer
from fireline.incidents.api import get_plan
from fireline.insights import params, report, serialize
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1", tags=["insights"])


@router.get("/insights")
def insights(
    since: str = Query(default="", max_length=10, description="first day, YYYY-MM-DD"),
    until: str = Query(default="", max_length=10, description="last day, YYYY-MM-DD, inclusive"),
    preset: str = Query(default="", max_length=16, description="30d, 90d (the default) or quarter"),
    team: str = Query(default="", max_length=64, description="incidents of this team's services"),
    service: str = Query(default="", max_length=64, description="a service's slug"),
    severity: str = Query(default="", max_length=16),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
    now: datetime = Depends(get_now),
) -> dict[str, Any]:
    """MTTD, MTTA, MTTM and MTTR (seconds: mean, median, p90), SLA compliance per
    severity, counts by severity, type and service over time, repeat incidents,
    post-mortem completion, action-item closure and pages per person, for the
    period and the one of the same length before it, with the deltas.

    Exercises are left out; restricted incidents count only for those who may see them."""
    asked = params.Asked(since, until, preset, team, service, severity)
    period, scope = params.resolve(session, plan, now, asked)
    built = report.build(session, plan, principal, period=period, scope=scope, now=now)
    return serialize.to_json(built)
