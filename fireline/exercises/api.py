"""JSON API for exercises: scenarios (built-in and uploaded), runs, the
facilitator's judgement of objectives, and the after-action report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session, require, require_viewer
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.exercises import library, report, service, storing
from fireline.exercises.models import ExerciseRun
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.people.models import Role
from fireline.plan.loader import PlanError
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1/exercises", tags=["exercises"])
require_admin = require(Role.admin)
require_manager = require(Role.manager)


class SourceIn(Strict):
    source: str = Field(max_length=storing.MAX_SOURCE, description="the scenario as YAML")


class RunIn(Strict):
    scenario: str = Field(min_length=1, max_length=64, description="the scenario's key")
    notify: bool = Field(
        default=False,
        description="let the exercise incident reach real people (pages, e-mails, chat)",
    )


class ObjectiveIn(Strict):
    met: bool | None = Field(description="true, false, or null to clear the judgement")
    note: str = Field(default="", max_length=service.MAX_NOTE)


class FinishIn(Strict):
    notes: str = Field(default="", max_length=service.MAX_NOTE)


def scenario_json(entry: library.Entry) -> dict[str, Any]:
    s = entry.scenario
    return {
        "key": s.key,
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "origin": entry.origin,
        "incident": s.incident.model_dump(mode="json"),
        "objectives": list(s.objectives),
        "duration_minutes": int(s.duration.total_seconds() // 60),
        "injects": [
            {"key": i.key, "at": i.at, "kind": i.kind, "summary": i.summary} for i in s.injects
        ],
    }


def run_json(session: Session, run: ExerciseRun) -> dict[str, Any]:
    incident = session.get_one(Incident, run.incident_id)
    return {
        **service.describe(run),
        "incident": {
            "ref": incident.ref,
            "title": incident.title,
            "status": incident.status,
            "severity": incident.severity,
            "is_exercise": incident.is_exercise,
        },
        "injects": [
            {
                "key": i.key,
                "kind": i.kind,
                "summary": i.summary,
                "due_at": i.due_at.isoformat(),
                "delivered_at": i.delivered_at.isoformat() if i.delivered_at else None,
                "skipped": i.outcome.get("skipped"),
            }
            for i in run.injects
        ],
        "objectives": [
            {"position": o.position, "text": o.text, "met": o.met, "note": o.note}
            for o in run.objectives
        ],
    }


def _problems(exc: PlanError) -> list[dict[str, Any]]:
    return [
        {"line": p.line, "column": p.column, "path": p.path, "message": p.message}
        for p in exc.problems
    ]


@router.get("/scenarios")
def list_scenarios(
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> list[dict[str, Any]]:
    return [scenario_json(e) for e in library.available(session, plan).values()]


@router.post("/scenarios/validate")
def validate_scenario(
    body: SourceIn,
    principal: Principal = Depends(require_viewer),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Every problem with its line and column; nothing is stored."""
    try:
        scenario = library.load_scenario_text(body.source, plan)
    except PlanError as exc:
        return {"valid": False, "problems": _problems(exc)}
    return {"valid": True, "problems": [], "key": scenario.key, "injects": len(scenario.injects)}


@router.post("/scenarios", status_code=201)
def upload_scenario(
    body: SourceIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Store a scenario (YAML); a stored one with the same key is replaced."""
    try:
        scenario = storing.save(session, plan, principal, now, body.source)
    except storing.ScenarioInvalid:
        session.rollback()
        raise
    session.commit()
    return scenario_json(library.Entry(scenario, library.STORED))


@router.get("/scenarios/{key}")
def get_scenario(
    key: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    entry = library.get(session, plan, key)
    source = storing.stored_source(session, key) if entry.origin == library.STORED else None
    return {**scenario_json(entry), "source": source or library.to_yaml(entry.scenario)}


@router.delete("/scenarios/{key}", status_code=204)
def delete_scenario(
    key: str,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    storing.remove(session, principal, now, key)
    session.commit()
    return Response(status_code=204)


@router.get("/runs")
def list_runs(
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[dict[str, Any]]:
    return [run_json(session, r) for r in service.runs(session, principal)]


@router.post("/runs", status_code=201)
def start_run(
    body: RunIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Open the scenario's exercise incident and schedule its injects."""
    run = service.start_run(session, plan, principal, now, body.scenario, notify=body.notify)
    session.commit()
    return run_json(session, run)


@router.get("/runs/{run_id}")
def get_run(
    run_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return run_json(session, service.get_run(session, principal, run_id))


@router.post("/runs/{run_id}/objectives/{position}")
def record_objective(
    run_id: RowId,
    body: ObjectiveIn,
    position: int = Path(ge=0, le=1000),
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> dict[str, Any]:
    """The facilitator's judgement: was the objective met?"""
    run = service.get_run(session, principal, run_id)
    service.record_objective(session, principal, now, run, position, met=body.met, note=body.note)
    session.commit()
    return run_json(session, run)


@router.post("/runs/{run_id}/finish")
def finish_run(
    run_id: RowId,
    body: FinishIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> dict[str, Any]:
    run = service.get_run(session, principal, run_id)
    service.finish_run(session, principal, now, run, body.notes)
    session.commit()
    return run_json(session, run)


@router.get("/runs/{run_id}/report")
def after_action_report(
    run_id: RowId,
    format: Literal["json", "md", "pdf"] = Query(default="json"),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Any:
    run = service.get_run(session, principal, run_id)
    built = report.build(plan, service.report_facts(session, run), now)
    if format == "md":
        return PlainTextResponse(report.to_markdown(built), media_type="text/markdown")
    if format == "pdf":
        return Response(report.to_pdf(built), media_type="application/pdf")
    return {"run": service.describe(run), **report.to_json(built)}
