"""Exercise pages: scenarios and runs (start one: managers and admins),
uploading a scenario (admins), a run's progress, objectives and its
after-action report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.exercises import library, report, service, storing
from fireline.exercises.models import ExerciseRun
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.web.pages import PageError, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)
page_admin = page_require(Role.admin)
page_manager = page_require(Role.manager)
VERDICTS: dict[str, bool | None] = {"yes": True, "no": False, "": None}

NEW_SCENARIO = """key: my-scenario
name: My scenario
description: What the exercise tests, in a sentence or two.
kind: tabletop
incident:
  title: What the team is told at the start
  type: service_outage
  severity: SEV2
  services: []
objectives:
  - Acknowledge within the SLA
injects:
  - key: first
    at: 0m
    message:
      from: facilitator
      text: What happens first.
  - key: question
    at: 10m
    question:
      text: What do we tell customers?
      role: communications_lead
"""


def _list_page(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "title": "Exercises",
        "entries": list(library.available(session, plan).values()),
        "runs": service.runs(session, principal),
        "can_start": principal.can(Role.manager),
        "is_admin": principal.can(Role.admin),
        "span": report.span,
        **extra,
    }
    return render(request, "exercises/list.html", context, principal=principal, status_code=status)


@router.get("/exercises")
def exercises_page(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    return _list_page(request, principal, session, plan)


@router.post("/exercises")
async def start(
    request: Request,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    form = await request.form()
    key = str(form.get("scenario", ""))
    try:
        run = service.start_run(
            session, plan, principal, now, key, notify=form.get("notify") == "on"
        )
    except AppError as exc:
        session.rollback()
        return _list_page(
            request,
            principal,
            session,
            plan,
            status=exc.status,
            error=exc.message,
            error_field=exc.field,
        )
    session.commit()
    return RedirectResponse(f"/exercises/{run.id}", status_code=303)


def _editor(
    request: Request, principal: Principal, source: str, problems: list[Any], status: int = 200
) -> Response:
    context = {"title": "Upload a scenario", "source": source, "problems": problems}
    return render(request, "exercises/edit.html", context, principal=principal, status_code=status)


@router.get("/exercises/scenarios/new")
def new_scenario(request: Request, principal: Principal = Depends(page_admin)) -> Response:
    return _editor(request, principal, NEW_SCENARIO, [])


@router.post("/exercises/scenarios/new")
async def upload(
    request: Request,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    form = await request.form()
    source = str(form.get("source", ""))
    try:
        scenario = storing.save(session, plan, principal, now, source)
    except storing.ScenarioInvalid as exc:
        session.rollback()
        return _editor(request, principal, source, list(exc.problems), status=422)
    except AppError as exc:
        session.rollback()
        problem = {"line": 1, "column": 1, "path": exc.field or "", "message": exc.message}
        return _editor(request, principal, source, [problem], status=exc.status)
    session.commit()
    return RedirectResponse(f"/exercises/scenarios/{scenario.key}", status_code=303)


@router.get("/exercises/scenarios/{key}")
def scenario_page(
    request: Request,
    key: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> Response:
    try:
        entry = library.get(session, plan, key)
    except NotFound as exc:
        raise PageError(404, "Not found", exc.message, principal) from None
    stored = storing.stored_source(session, key) if entry.origin == library.STORED else None
    context = {
        "title": entry.scenario.name,
        "entry": entry,
        "scenario": entry.scenario,
        "source": stored or library.to_yaml(entry.scenario),
        "is_admin": principal.can(Role.admin),
        "span": report.span,
    }
    return render(request, "exercises/scenario.html", context, principal=principal)


@router.post("/exercises/scenarios/{key}/delete")
def delete_scenario(
    key: str,
    principal: Principal = Depends(page_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        storing.remove(session, principal, now, key)
    except NotFound as exc:
        raise PageError(404, "Not found", exc.message, principal) from None
    session.commit()
    return RedirectResponse("/exercises", status_code=303)


def _run(session: Session, principal: Principal, run_id: str) -> ExerciseRun:
    found = as_row_id(run_id)
    try:
        if found is None:
            raise NotFound(f"no exercise run {run_id}")
        return service.get_run(session, principal, found)
    except NotFound as exc:
        raise PageError(404, "Not found", exc.message, principal) from None


def _run_page(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    run: ExerciseRun,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    built = report.build(plan, service.report_facts(session, run), now)
    context = {
        "title": f"Exercise: {run.scenario_name}",
        "run": run,
        "incident": session.get_one(Incident, run.incident_id),
        "report": built,
        "span": report.span,
        "can_facilitate": principal.can(Role.manager),
        **extra,
    }
    return render(request, "exercises/run.html", context, principal=principal, status_code=status)


@router.get("/exercises/{run_id}")
def run_page(
    request: Request,
    run_id: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return _run_page(request, principal, session, plan, now, _run(session, principal, run_id))


@router.get("/exercises/{run_id}/report.md")
def report_markdown(
    run_id: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    run = _run(session, principal, run_id)
    text = report.to_markdown(report.build(plan, service.report_facts(session, run), now))
    return PlainTextResponse(
        text,
        media_type="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="exercise-{run.id}-report.md"'},
    )


@router.get("/exercises/{run_id}/report.pdf")
def report_pdf(
    run_id: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    run = _run(session, principal, run_id)
    built = report.build(plan, service.report_facts(session, run), now)
    return Response(
        report.to_pdf(built),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="exercise-{run.id}-report.pdf"'},
    )


async def _facilitate(
    request: Request,
    principal: Principal,
    session: Session,
    plan: Plan,
    now: datetime,
    run_id: str,
    position: str | None,
) -> Response:
    run = _run(session, principal, run_id)
    form = await request.form()
    try:
        if position is None:
            service.finish_run(session, principal, now, run, str(form.get("notes", "")))
        else:
            if not position.isdigit() or len(position) > 4:
                raise NotFound(f"run {run.id} has no objective {position}", field="objective")
            verdict = str(form.get("met", ""))
            if verdict not in VERDICTS:
                raise InvalidInput("expected yes, no or not judged", field="met")
            service.record_objective(
                session,
                principal,
                now,
                run,
                int(position),
                met=VERDICTS[verdict],
                note=str(form.get("note", "")),
            )
    except AppError as exc:
        session.rollback()
        run = _run(session, principal, run_id)
        return _run_page(
            request,
            principal,
            session,
            plan,
            now,
            run,
            status=exc.status,
            error=exc.message,
            error_field=exc.field,
        )
    session.commit()
    return RedirectResponse(f"/exercises/{run.id}#objectives", status_code=303)


@router.post("/exercises/{run_id}/objectives/{position}")
async def judge_objective(
    request: Request,
    run_id: str,
    position: str,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return await _facilitate(request, principal, session, plan, now, run_id, position)


@router.post("/exercises/{run_id}/finish")
async def finish(
    request: Request,
    run_id: str,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return await _facilitate(request, principal, session, plan, now, run_id, None)
