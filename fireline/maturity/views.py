"""The maturity pages: the assessment with its evidence, the questionnaire,
and the printable report."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError
from fireline.incidents.api import get_plan
from fireline.maturity import model, service
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.web.pages import page_require, page_viewer
from fireline.web.pdf import html_to_pdf
from fireline.web.templating import render, templates

router = APIRouter(prefix="/maturity", include_in_schema=False)
page_manager = page_require(Role.manager)


def _context(assessment: service.Assessment, plan: Plan) -> dict[str, object]:
    return {
        "assessment": assessment,
        "levels": model.LEVELS,
        "questions": model.QUESTIONS,
        "areas": model.AREAS,
        "organisation": plan.organisation.name,
    }


@router.get("")
def maturity_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
    status: int = 200,
    error: str = "",
) -> Response:
    assessment = service.assess(session, plan, principal, now)
    context = {
        "title": "Maturity",
        **_context(assessment, plan),
        "can_answer": principal.can(Role.manager),
        "error": error,
    }
    return render(request, "maturity/page.html", context, principal=principal, status_code=status)


@router.post("")
async def answer(
    request: Request,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    form = await request.form()
    given = {
        q.key: form.get(f"q_{q.key}") == "yes"
        for q in model.QUESTIONS
        if form.get(f"q_{q.key}") in ("yes", "no")
    }
    try:
        service.answer(session, principal, now, given)
    except AppError as exc:
        session.rollback()
        return maturity_page(
            request, principal, session, now, plan, status=exc.status, error=exc.message
        )
    session.commit()
    return RedirectResponse("/maturity", status_code=303)


def _report_html(assessment: service.Assessment, plan: Plan) -> str:
    return templates.env.get_template("maturity/report.html").render(
        **_context(assessment, plan), time_zone="UTC"
    )


@router.get("/report")
def report(
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    """The report as a page of its own, made to be printed from the browser."""
    html = _report_html(service.assess(session, plan, principal, now), plan)
    return Response(html, media_type="text/html")


@router.get("/report.pdf")
def report_pdf(
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    pdf = html_to_pdf(_report_html(service.assess(session, plan, principal, now), plan))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="maturity-{now:%Y-%m-%d}.pdf"'},
    )
