"""Ingestion end to end through the app: sources, dedup, grouping, keys, limits."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fireline.alerts.models import Alert, ChangeEvent
from fireline.alerts.pipeline import PAGE_JOB
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.web.app import create_app
from tests.alerts.conftest import MakeIntegration, fixture, groups, jobs_of
from tests.conftest import Persona


def pd_event(key: str, action: str = "trigger", **payload: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": key, "event_action": action}
    dedup = payload.pop("dedup_key", None)
    if dedup:
        event["dedup_key"] = dedup
    if action == "trigger":
        event["payload"] = {"summary": "Checkout errors", "source": "web-1", "severity": "critical"}
        event["payload"].update(payload)
    return event


def alert_rows(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_alertmanager_group_dedups_and_resolves(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    key = make_integration("alertmanager", service="db")["key"]
    firing = fixture("am_grouped_02_firing_group_of_3.json")
    first = client.post(f"/ingest/{key}", json=firing)
    assert first.status_code == 202, first.text
    assert first.json() == {"status": "success", "alerts": 3}
    again = client.post("/ingest", json=firing, headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 202

    [group] = groups(db)
    assert (group.status, group.alert_count, group.active_count) == ("triggered", 3, 3)
    assert group.group_key == firing["groupKey"]
    assert [a.count for a in alert_rows(db)] == [2, 2, 2]

    # One alert inside a group that still says "firing" is resolved.
    partial = client.post(
        f"/ingest/{key}", json=fixture("am_grouped_04_group_partially_resolved.json")
    )
    assert partial.status_code == 202
    [group] = groups(db)
    assert (group.status, group.active_count) == ("triggered", 2)
    statuses = {a.dedup_key: a.status for a in alert_rows(db)}
    assert statuses["ef8ed2395e26b0d8"] == "resolved"

    rest = copy.deepcopy(firing)
    for alert in rest["alerts"]:
        alert["status"] = "resolved"
    assert client.post(f"/ingest/{key}", json=rest).status_code == 202
    [group] = groups(db)
    assert (group.status, group.is_open, group.active_count) == ("resolved", False, 0)
    assert len(jobs_of(db, PAGE_JOB)) == 1

    # Firing again after the resolve opens a new alert in a new group.
    assert client.post(f"/ingest/{key}", json=firing).status_code == 202
    assert [g.status for g in groups(db)] == ["resolved", "triggered"]
    assert len(alert_rows(db)) == 6


def test_unknown_fields_and_raw_payload_are_kept(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    key = make_integration("alertmanager")["key"]
    body = fixture("am_grouped_01_firing_single.json")
    body["alerts"][0]["vendorExtra"] = {"kept": True}
    body["somethingNew"] = 1
    assert client.post(f"/ingest/{key}", json=body).status_code == 202
    [alert] = alert_rows(db)
    assert alert.raw["vendorExtra"] == {"kept": True}
    assert alert.labels == body["alerts"][0]["labels"]


def test_pagerduty_trigger_acknowledge_resolve(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    key = make_integration("pagerduty")["key"]
    created = client.post("/v2/enqueue", json=pd_event(key))
    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "success" and body["message"] == "Event processed"
    dedup = body["dedup_key"]
    assert len(dedup) >= 16

    ack = client.post("/v2/enqueue", json=pd_event(key, "acknowledge", dedup_key=dedup))
    assert ack.status_code == 202 and ack.json()["dedup_key"] == dedup
    assert groups(db)[0].status == "acknowledged"

    resolved = client.post("/v2/enqueue", json=pd_event(key, "resolve", dedup_key=dedup))
    assert resolved.status_code == 202
    [group] = groups(db)
    assert group.status == "resolved" and not group.is_open

    again = client.post("/v2/enqueue", json=pd_event(key, dedup_key=dedup))
    assert again.status_code == 202
    assert len(alert_rows(db)) == 2
    assert [g.status for g in groups(db)] == ["resolved", "triggered"]


def test_pagerduty_errors_use_pagerdutys_shape(
    client: TestClient, make_integration: MakeIntegration
) -> None:
    key = make_integration("pagerduty")["key"]
    bad = pd_event(key)
    del bad["payload"]["summary"]
    bad["payload"]["severity"] = "loud"
    response = client.post("/v2/enqueue", json=bad)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any("summary" in e for e in body["errors"])
    assert any("severity" in e for e in body["errors"])

    unknown = client.post("/v2/enqueue", json=pd_event("0" * 32))
    assert unknown.status_code == 400
    assert any("routing_key" in e for e in unknown.json()["errors"])

    not_json = client.post(
        "/v2/enqueue", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["status"] == "invalid event"

    huge = pd_event(key, custom_details={"blob": "x" * (513 * 1024)})
    assert client.post("/v2/enqueue", json=huge).status_code == 413


def test_webhook_errors_name_the_field(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    key = make_integration("alertmanager")["key"]
    body = fixture("am_grouped_01_firing_single.json")
    body["alerts"][0]["labels"]["severity"] = 5
    response = client.post(f"/ingest/{key}", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "alerts[0].labels.severity"
    assert client.post("/ingest/not-a-key", json=body).status_code == 404
    assert client.post("/ingest", json=body).status_code == 401
    assert client.get(f"/ingest/{key}").status_code == 405
    assert alert_rows(db) == []


def test_rotated_and_revoked_keys_stop_working(
    client: TestClient, make_integration: MakeIntegration, personas: dict[str, Persona]
) -> None:
    created = make_integration("pagerduty")
    old_key = created["key"]
    assert client.post("/v2/enqueue", json=pd_event(old_key)).status_code == 202
    rotated = client.post(
        f"/api/v1/integrations/{created['id']}/rotate", headers=personas["manager"].headers
    )
    new_key = rotated.json()["key"]
    assert new_key != old_key
    assert client.post("/v2/enqueue", json=pd_event(old_key)).status_code == 400
    assert client.post("/v2/enqueue", json=pd_event(new_key)).status_code == 202
    client.post(f"/api/v1/integrations/{created['id']}/revoke", headers=personas["manager"].headers)
    assert client.post("/v2/enqueue", json=pd_event(new_key)).status_code == 400


def test_rate_limit_answers_429_with_retry_after(
    client: TestClient, make_integration: MakeIntegration
) -> None:
    key = make_integration("pagerduty", rate_limit_per_minute=2)["key"]
    codes = [client.post("/v2/enqueue", json=pd_event(key)).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    limited = client.post("/v2/enqueue", json=pd_event(key))
    assert int(limited.headers["retry-after"]) >= 1


def test_a_storm_makes_one_group_and_one_page(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    key = make_integration("alertmanager", rate_limit_per_minute=0)["key"]
    template = fixture("am_grouped_01_firing_single.json")
    for batch in range(100):
        body = copy.deepcopy(template)
        alert = body["alerts"][0]
        body["alerts"] = []
        for n in range(100):
            one = copy.deepcopy(alert)
            one["fingerprint"] = f"storm-{batch}-{n}"
            one["labels"] = {**one["labels"], "instance": f"web-{batch}-{n}"}
            body["alerts"].append(one)
        assert client.post(f"/ingest/{key}", json=body).status_code == 202
    [group] = groups(db)
    assert group.alert_count == 10_000 and group.active_count == 10_000
    assert len(jobs_of(db, PAGE_JOB)) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 10_000


def test_webhook_bodies_over_the_limit_get_413(
    settings: Settings, db: Database, clock: FixedClock, personas: dict[str, Persona]
) -> None:
    small = settings.model_copy(update={"ingest_max_bytes": 2048})
    with TestClient(create_app(small, database=db, clock=clock)) as client:
        headers = personas["manager"].headers
        client.post("/api/v1/services", json={"slug": "api", "name": "API"}, headers=headers)
        created = client.post(
            "/api/v1/integrations", json={"service": "api", "kind": "alertmanager"}, headers=headers
        ).json()
        assert created["auto_resolve_minutes"] == 24 * 60
        body = fixture("am_grouped_02_firing_group_of_3.json")
        body["alerts"][0]["annotations"]["description"] = "x" * 4096
        response = client.post(f"/ingest/{created['key']}", json=body)
        assert response.status_code == 413
        assert "2048" in response.json()["error"]["message"]
        assert groups(db) == []


def test_nul_characters_are_kept_as_replacement_characters(
    client: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    """JSON may carry NUL and PostgreSQL cannot store it: the alert is kept
    (never a 503 its sender would retry forever), on both databases alike."""
    am_key = make_integration("alertmanager")["key"]
    body = fixture("am_grouped_01_firing_single.json")
    body["alerts"][0]["labels"]["instance"] = "db-1\x00"
    body["alerts"][0]["annotations"]["note\x00"] = "a\\\x00b"
    answered = client.post(f"/ingest/{am_key}", json=body)
    assert answered.status_code == 202, answered.text

    pd_key = make_integration("pagerduty")["key"]
    event = pd_event(pd_key, summary="disk\x00full", dedup_key="nul\x00key")
    assert client.post("/v2/enqueue", json=event).status_code == 202
    change = {"routing_key": pd_key, "payload": {"summary": "deploy\x00", "source": "ci"}}
    assert client.post("/v2/change/enqueue", json=change).status_code == 202

    first, second = alert_rows(db)
    assert first.labels["instance"] == "db-1\ufffd"
    assert first.annotations["note\ufffd"] == "a\\\ufffdb"
    assert first.raw["labels"]["instance"] == "db-1\ufffd"
    assert (second.summary, second.dedup_key) == ("disk\ufffdfull", "nul\ufffdkey")
    with db.session() as session:
        assert session.scalars(select(ChangeEvent.summary)).all() == ["deploy\ufffd"]
