"""The plan document over HTTP: what ``fireline plan render`` writes, for
people who would rather click (``/api/v1/plan/document``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import PlainTextResponse, Response

from fireline.core.deps import Principal, get_now, get_session, require_viewer
from fireline.incidents.api import get_plan
from fireline.plan.document import render, to_pdf
from fireline.plan.document_facts import gather
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1/plan", tags=["plan"])


@router.get("/document")
def plan_document(
    request: Request,
    format: Literal["md", "pdf"] = Query(default="md"),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    """The response plan as a document, from the plan in effect and the database."""
    settings = request.app.state.settings
    source = f"{settings.plan or 'the built-in plan'} and the database"
    text = render(plan, gather(session, plan), generated_at=now, source=source)
    if format == "md":
        return PlainTextResponse(text, media_type="text/markdown")
    title = f"{plan.organisation.name}: incident response plan"
    pdf = to_pdf(text, title=title, footer=f"Generated {now:%Y-%m-%d %H:%M} UTC by fireline")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="incident-response-plan.pdf"'},
    )
