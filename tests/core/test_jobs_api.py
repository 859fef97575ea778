"""The jobs API and `fireline jobs`."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.cli import main
from fireline.core.audit import AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.jobs.worker import Worker
from tests.conftest import LiveServer, Persona


def make_dead_job(db: Database, clock: FixedClock, settings: Settings) -> int:
    with db.transaction() as session:
        job_id = queue.enqueue(
            session,
            kind="no.such.kind",
            payload={"secret": "s3cr3t"},
            now=clock.now(),
            max_attempts=1,
        ).id
    Worker(db, clock, settings, rng=random.Random(1)).run_once()
    return job_id


def test_list_filter_and_retry(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    settings: Settings,
) -> None:
    job_id = make_dead_job(db, clock, settings)
    listed = client.get("/api/v1/jobs?state=dead", headers=personas["manager"].headers)
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["id"] == job_id and "payload" not in row and "s3cr3t" not in listed.text
    assert client.get("/api/v1/jobs/counts", headers=personas["viewer"].headers).json()["dead"] == 1

    retried = client.post(f"/api/v1/jobs/{job_id}/retry", headers=personas["admin"].headers)
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    again = client.post(f"/api/v1/jobs/{job_id}/retry", headers=personas["admin"].headers)
    assert again.status_code == 200
    missing = client.post("/api/v1/jobs/424242/retry", headers=personas["admin"].headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_roles_and_the_audit_record_of_a_retry(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    settings: Settings,
) -> None:
    job_id = make_dead_job(db, clock, settings)
    viewer, responder = personas["viewer"].headers, personas["responder"].headers
    refused = client.get("/api/v1/jobs", headers=viewer)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/jobs/counts").status_code == 401
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=responder).status_code == 403

    admin = personas["admin"]
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=admin.headers).status_code == 200
    with db.session() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "job.retried")
        ).all()
    assert event.actor_id == str(admin.user_id) and event.object_id == str(job_id)
    assert event.changes["from"] == {"state": "dead", "attempts": 1}


def test_limit_left_to_the_worker_shows_as_null(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    with db.transaction() as session:
        queue.enqueue(session, kind="no.such.kind", payload={}, now=clock.now())
    [row] = client.get("/api/v1/jobs", headers=personas["manager"].headers).json()
    assert row["max_attempts"] is None and row["state"] == "queued"


def test_bad_filters_name_the_field(client: TestClient, personas: dict[str, Persona]) -> None:
    manager = personas["manager"].headers
    for query, field in (("state=sleeping", "state"), ("limit=0", "limit"), ("limit=x", "limit")):
        response = client.get(f"/api/v1/jobs?{query}", headers=manager)
        assert response.status_code == 422, query
        assert response.json()["error"]["field"] == field, query


def test_cli_lists_and_retries(
    live_server: LiveServer,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    settings: Settings,
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    job_id = make_dead_job(db, clock, settings)
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["admin"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    listed = runner.invoke(main, ["jobs", "list", "--state", "dead", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.stdout)] == [job_id]
    table = runner.invoke(main, ["jobs", "list"], env=env)
    assert "no.such.kind" in table.stdout and "dead: 1" in table.stderr
    retried = runner.invoke(main, ["jobs", "retry", str(job_id)], env=env)
    assert retried.exit_code == 0 and "queued again" in retried.output
