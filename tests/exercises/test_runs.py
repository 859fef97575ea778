"""Running a scenario: an exercise incident, injects delivered by the worker
when due (alert through the pipeline, message, evidence, status, question),
objectives judged, the run ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.alerts.models import Alert, AlertGroup
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.incidents.models import Incident, Task, TimelineEvent
from fireline.security.evidence.models import EvidenceItem
from tests.conftest import Persona

Start = Callable[..., dict[str, Any]]


def run_of(client: TestClient, run_id: int, persona: Persona) -> dict[str, Any]:
    response = client.get(f"/api/v1/exercises/runs/{run_id}", headers=persona.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_run_opens_an_exercise_incident_and_times_its_injects(
    client: TestClient, start: Start, db: Database, clock: FixedClock
) -> None:
    run = start()
    incident = run["incident"]
    assert incident["title"] == "[EXERCISE] Files encrypted on db-prod-03, ransom note found"
    assert incident["is_exercise"] and incident["severity"] == "SEV2"
    assert not run["notify"]
    due = {i["key"]: i["due_at"] for i in run["injects"]}
    assert due["edr-alert"] == clock.now().isoformat()
    assert due["second-email"] == (clock.now() + timedelta(minutes=30)).isoformat()
    with db.session() as session:
        row = session.get_one(Incident, int(incident["ref"].removeprefix("INC-")))
        assert row.is_exercise and row.commander_id is None and row.acknowledged_at is None
        timers = session.scalars(select(Job.due_at).where(Job.kind == "exercise.inject")).all()
    assert sorted(timers) == sorted(
        clock.now() + timedelta(minutes=m) for m in (0, 5, 10, 15, 20, 30, 35, 45)
    )


def test_injects_are_delivered_when_due_and_only_then(
    client: TestClient,
    start: Start,
    db: Database,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    personas: dict[str, Persona],
) -> None:
    run = start()
    incident_id = int(run["incident"]["ref"].removeprefix("INC-"))
    run_jobs()
    delivered = {
        i["key"]
        for i in run_of(client, run["id"], personas["viewer"])["injects"]
        if i["delivered_at"]
    }
    assert delivered == {"edr-alert"}
    with db.session() as session:
        alert = session.scalar(
            select(Alert).where(Alert.dedup_key == f"exercise-{run['id']}-edr-alert")
        )
        assert alert is not None and alert.labels["exercise"] == run["incident"]["ref"]
        group = session.get_one(AlertGroup, alert.group_id)
        assert group.incident_id == incident_id
        assert group.title.startswith("[EXERCISE] Ransomware behaviour on db-prod-03")
    clock.advance(minutes=50)
    run_jobs()
    after = run_of(client, run["id"], personas["viewer"])
    assert all(i["delivered_at"] for i in after["injects"]), after["injects"]
    with db.session() as session:
        incident = session.get_one(Incident, incident_id)
        assert incident.severity == "SEV1" and incident.status == "detection_and_analysis"
        [item] = session.scalars(
            select(EvidenceItem).where(EvidenceItem.incident_id == incident_id)
        )
        assert "README-RESTORE.txt" in item.description and item.source_host == "db-prod-03"
        titles = {
            t.title: t.role_key
            for t in session.scalars(select(Task).where(Task.incident_id == incident_id))
        }
        assert (
            titles["Are last night's backups of postgres-main intact and offline?"]
            == "operations_lead"
        )
        bodies = [
            e.body
            for e in session.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.kind == "exercise_inject",
                )
            )
        ]
    assert any(
        b.startswith("Exercise inject: The facilitator: The CFO's assistant forwards")
        for b in bodies
    )
    assert any(b.startswith("Exercise inject: Communications lead: A journalist") for b in bodies)
    assert len(bodies) == 8


def test_objectives_are_judged_and_the_run_ends(
    client: TestClient,
    start: Start,
    personas: dict[str, Persona],
    clock: FixedClock,
    run_jobs: Callable[[], int],
) -> None:
    run = start()
    manager = personas["manager"].headers
    url = f"/api/v1/exercises/runs/{run['id']}"
    response = client.post(
        f"{url}/objectives/1", json={"met": True, "note": "isolated at 09:20"}, headers=manager
    )
    assert response.status_code == 200, response.text
    assert response.json()["objectives"][1] == {
        "position": 1,
        "text": "Decide on isolating db-prod-03 from the network, with the approval on record",
        "met": True,
        "note": "isolated at 09:20",
    }
    refused = client.post(
        f"{url}/objectives/1", json={"met": True}, headers=personas["responder"].headers
    )
    assert refused.status_code == 403
    missing = client.post(f"{url}/objectives/9", json={"met": False}, headers=manager)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "objective"
    bad = client.post(f"{url}/objectives/1", json={"met": "maybe"}, headers=manager)
    assert bad.status_code == 422
    clock.advance(minutes=12)
    run_jobs()
    ended = client.post(f"{url}/finish", json={"notes": "Good discussion"}, headers=manager)
    assert ended.status_code == 200 and ended.json()["finished_at"] == clock.now().isoformat()
    assert client.post(f"{url}/finish", json={}, headers=manager).status_code == 409
    clock.advance(hours=1)
    run_jobs()
    injects = run_of(client, run["id"], personas["viewer"])["injects"]
    late = next(i for i in injects if i["key"] == "press")
    assert late["delivered_at"] is None and late["skipped"] == "the exercise had ended"


def test_a_run_needs_the_scenarios_services_and_a_known_scenario(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    manager = personas["manager"].headers
    response = client.post(
        "/api/v1/exercises/runs", json={"scenario": "ransomware-tabletop"}, headers=manager
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "scenario"
    assert "postgres-main" in response.json()["error"]["message"]
    unknown = client.post("/api/v1/exercises/runs", json={"scenario": "nope"}, headers=manager)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "scenario"
    extra = client.post(
        "/api/v1/exercises/runs", json={"scenario": "x", "when": 1}, headers=manager
    )
    assert extra.status_code == 422
    with_db = client.get("/api/v1/incidents", headers=manager).json()
    assert with_db == [] or all(not i.get("is_exercise") for i in with_db)
