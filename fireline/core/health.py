"""Liveness, readiness and the metrics endpoint: public, so load balancers and Prometheus can reach them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from fireline.core import migrate
from fireline.core.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and its schema is current")
def readyz(request: Request) -> JSONResponse:
    db = request.app.state.db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        body = {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}
        return JSONResponse(body, status_code=503)
    current, head = migrate.current_revision(db.engine), migrate.head_revision()
    if current != head:
        body = {
            "status": "unavailable",
            "database": "reachable",
            "migrations": f"{current} != {head}",
        }
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "reachable", "migrations": current})


@router.get("/metrics", summary="Prometheus exposition")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
