"""JSON API for playbooks and their runs on incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require,
    require_responder,
    require_viewer,
)
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.incidents import queries
from fireline.incidents.api import get_plan
from fireline.people.models import Role
from fireline.plan.loader import PlanError
from fireline.plan.schema import Plan
from fireline.playbooks import editing, interchange, library, service, stats
from fireline.playbooks.cacao_export import to_cacao

router = APIRouter(prefix="/api/v1", tags=["playbooks"])
require_admin = require(Role.admin)


class SourceIn(Strict):
    source: str = Field(max_length=editing.MAX_SOURCE, description="the playbook as YAML")


class ImportIn(Strict):
    content: str = Field(
        max_length=2_000_000, description="fireline YAML, or an OASIS CACAO 2.0 playbook as JSON"
    )
    types: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="incident types for a CACAO playbook that does not say (fireline's own do)",
    )


class StartIn(Strict):
    playbook: str = Field(max_length=64, description="the playbook's key")


class SkipIn(Strict):
    reason: str = Field(max_length=service.MAX_REASON)


class PlaybookSummary(BaseModel):
    key: str
    name: str
    description: str
    types: list[str]
    severities: list[str]
    steps: int
    origin: str


def _summary(entry: library.Entry) -> PlaybookSummary:
    p = entry.playbook
    return PlaybookSummary(
        key=p.key,
        name=p.name,
        description=p.description,
        types=list(p.types),
        severities=list(p.severities),
        steps=len(p.steps),
        origin=entry.origin,
    )


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def figures_json(figures: stats.Figures) -> dict[str, Any]:
    return {
        "runs": figures.runs,
        "finished": figures.finished,
        "median_run_seconds": _seconds(figures.median_run),
        "steps": [
            {
                "key": s.key,
                "title": s.title,
                "reached": s.reached,
                "done": s.done,
                "skipped": s.skipped,
                "median_seconds": _seconds(s.median),
                "longest_seconds": _seconds(s.longest),
            }
            for s in figures.steps
        ],
    }


@router.get("/playbooks", response_model=list[PlaybookSummary])
def list_playbooks(
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> list[PlaybookSummary]:
    return [_summary(e) for e in library.available(session, plan).values()]


@router.post("/playbooks/validate")
def validate(
    body: SourceIn,
    principal: Principal = Depends(require_viewer),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Every problem with its line and column; nothing is stored."""
    try:
        playbook = library.load_playbook_text(body.source, plan)
    except PlanError as exc:
        return {
            "valid": False,
            "problems": [
                {"line": p.line, "column": p.column, "path": p.path, "message": p.message}
                for p in exc.problems
            ],
        }
    return {"valid": True, "problems": [], "key": playbook.key, "steps": len(playbook.steps)}


@router.post("/playbooks", status_code=201)
def create_playbook(
    body: SourceIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Store a playbook (YAML); one with the same key is replaced."""
    playbook = editing.save(session, plan, principal, now, body.source)
    session.commit()
    return playbook.model_dump(mode="json")


@router.post("/playbooks/import", status_code=201)
def import_playbook(
    body: ImportIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    """Store a playbook from fireline YAML or CACAO 2.0 JSON, with a note for
    everything in a CACAO playbook that could not be carried over exactly."""
    imported = interchange.read(body.content, plan, types=body.types)
    playbook = editing.save(session, plan, principal, now, imported.source)
    session.commit()
    return {
        "format": imported.format,
        "playbook": playbook.model_dump(mode="json"),
        "notes": imported.notes,
    }


@router.get("/playbooks/{key}")
def get_playbook(
    key: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    entry = library.get(session, plan, key)
    return {
        **entry.playbook.model_dump(mode="json"),
        "origin": entry.origin,
        "figures": figures_json(stats.for_playbook(session, entry.playbook)),
    }


@router.put("/playbooks/{key}")
def put_playbook(
    key: str,
    body: SourceIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    playbook = editing.save(session, plan, principal, now, body.source, key=key)
    session.commit()
    return playbook.model_dump(mode="json")


@router.delete("/playbooks/{key}", status_code=204)
def delete_playbook(
    key: str,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    editing.remove(session, principal, now, key)
    session.commit()
    return Response(status_code=204)


@router.get("/playbooks/{key}/export")
def export_playbook(
    key: str,
    format: Literal["yaml", "cacao"] = Query(default="yaml"),
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    playbook = library.get(session, plan, key).playbook
    if format == "yaml":
        return PlainTextResponse(library.to_yaml(playbook), media_type="application/yaml")
    return _json(to_cacao(playbook, now=now))


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data, option=orjson.OPT_INDENT_2), media_type="application/json")


# --- runs on incidents ----------------------------------------------------------------


@router.get("/incidents/{ref}/playbooks")
def incident_runs(
    ref: str,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[dict[str, Any]]:
    incident = queries.get_visible(session, principal, ref)
    return [service.run_view(run) for run in service.runs(session, incident)]


@router.post("/incidents/{ref}/playbooks", status_code=201)
def start_run(
    ref: str,
    body: StartIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    run = service.start_by_hand(session, plan, principal, now, incident, body.playbook)
    session.commit()
    return service.run_view(run)


@router.post("/incidents/{ref}/playbooks/{run_id}/steps/{step_key}/skip")
def skip_step(
    ref: str,
    run_id: RowId,
    step_key: str,
    body: SkipIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> dict[str, Any]:
    incident = queries.get_visible(session, principal, ref)
    service.skip(session, principal, now, incident, run_id, step_key, body.reason)
    session.commit()
    return service.run_view(service.get_run(session, incident, run_id))
