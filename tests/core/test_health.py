"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from fireline.core.db import Database
from tests.conftest import Persona


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


def test_readyz_fails_when_migrations_are_behind(client: TestClient, db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'stale'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "stale" in ready.json()["migrations"]


def test_readyz_fails_when_database_unreachable(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    app.state.db = Database("postgresql://nobody@127.0.0.1:1/nothing")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"].startswith("unreachable")


def test_metrics_count_requests_by_route_and_jobs_by_state(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    for user_id in (1, 2):
        client.get(f"/api/v1/users/{user_id}", headers=personas["viewer"].headers)
    body = client.get("/metrics").text
    assert (
        'fireline_http_requests_total{method="GET",route="/api/v1/users/{ref}",status="200"} 2.0'
        in body
    )
    assert "fireline_http_request_duration_seconds_bucket" in body
    assert 'fireline_jobs{state="queued"} 0.0' in body


def test_openapi_document_and_docs_page(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "fireline"
    assert "/api/v1/users" in document["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text
