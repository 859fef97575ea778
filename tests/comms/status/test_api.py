"""The status page's management API: the page, groups, components, public
incidents and maintenance, templates, and publishing from an incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from tests.conftest import Persona

STATUS = "/api/v1/status"
Personas = dict[str, Persona]


def make_component(client: TestClient, personas: Personas, name: str, **fields: Any) -> str:
    response = client.post(
        f"{STATUS}/components", json={"name": name, **fields}, headers=personas["manager"].headers
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["id"]
    return code


def component_statuses(client: TestClient, personas: Personas) -> dict[str, str]:
    rows = client.get(f"{STATUS}/components", headers=personas["viewer"].headers).json()
    return {row["name"]: row["status"] for row in rows}


def declare(client: TestClient, persona: Persona, **fields: Any) -> str:
    body = {"title": "Checkout failing", "type": "outage", "severity": "2", **fields}
    response = client.post("/api/v1/incidents", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]
    return ref


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def job_kinds(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Job.kind).order_by(Job.id)))


def assert_invalid(response: Any, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field, response.text


def test_page_settings_are_read_by_viewers_and_edited_by_managers(
    client: TestClient, personas: Personas, db: Database
) -> None:
    page = client.get(f"{STATUS}/page", headers=personas["viewer"].headers)
    assert page.status_code == 200 and page.json()["brand_color"] == "#1f6feb"
    assert client.get(f"{STATUS}/page").status_code == 401
    edit = {"name": "Acme status", "brand_color": "#AA0000", "time_zone": "Europe/Berlin"}
    refused = client.patch(f"{STATUS}/page", json=edit, headers=personas["responder"].headers)
    assert refused.status_code == 403
    edited = client.patch(f"{STATUS}/page", json=edit, headers=personas["manager"].headers)
    assert edited.status_code == 200
    assert edited.json()["brand_color"] == "#aa0000" and edited.json()["id"] == page.json()["id"]
    for bad, field in (
        ({"brand_color": "red"}, "brand_color"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"name": " "}, "name"),
        ({"colour": "#000000"}, "colour"),
    ):
        response = client.patch(f"{STATUS}/page", json=bad, headers=personas["manager"].headers)
        assert_invalid(response, field)
    kept = client.get(f"{STATUS}/page", headers=personas["viewer"].headers).json()
    assert (kept["name"], kept["time_zone"]) == ("Acme status", "Europe/Berlin")
    assert audit_actions(db).count("status.page_updated") == 1


def test_groups_are_created_listed_and_edited_by_managers(
    client: TestClient, personas: Personas, db: Database
) -> None:
    manager = personas["manager"].headers
    for who in ("viewer", "responder"):
        refused = client.post(
            f"{STATUS}/groups", json={"name": "Core"}, headers=personas[who].headers
        )
        assert refused.status_code == 403
    group = client.post(f"{STATUS}/groups", json={"name": "Core"}, headers=manager).json()
    make_component(client, personas, "API", group="Core")
    listed = client.get(f"{STATUS}/groups", headers=personas["viewer"].headers).json()
    assert [(g["name"], len(g["components"])) for g in listed] == [("Core", 1)]

    renamed = client.patch(
        f"{STATUS}/groups/{group['id']}",
        json={"name": "Core platform", "position": 3},
        headers=manager,
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["position"]) == ("Core platform", 3)
    assert_invalid(
        client.patch(f"{STATUS}/groups/{group['id']}", json={"name": ""}, headers=manager), "name"
    )
    assert_invalid(client.post(f"{STATUS}/groups", json={}, headers=manager), "name")
    assert (
        client.patch(
            f"{STATUS}/groups/{group['id']}",
            json={"name": "X"},
            headers=personas["responder"].headers,
        ).status_code
        == 403
    )
    missing = client.patch(f"{STATUS}/groups/nope", json={"name": "X"}, headers=manager)
    assert missing.status_code == 404
    assert client.get(f"{STATUS}/groups", headers=manager).json()[0]["name"] == "Core platform"
    actions = audit_actions(db)
    assert "status.group_created" in actions and "status.group_updated" in actions


def test_components_are_managed_by_managers_only(
    client: TestClient, personas: Personas, db: Database
) -> None:
    manager, responder = personas["manager"].headers, personas["responder"].headers
    client.post("/api/v1/services", json={"slug": "api-gw", "name": "Gateway"}, headers=manager)
    client.post(f"{STATUS}/groups", json={"name": "Core"}, headers=manager)
    code = make_component(
        client, personas, "API", group="Core", services=["api-gw"], description="public API"
    )
    created = client.get(f"{STATUS}/components/{code}", headers=personas["viewer"].headers).json()
    assert created["group"]["name"] == "Core" and created["services"] == ["api-gw"]
    assert created["status"] == "operational"
    by_name = client.get(f"{STATUS}/components/api", headers=personas["viewer"].headers)
    assert by_name.json()["id"] == code

    assert (
        client.post(f"{STATUS}/components", json={"name": "X"}, headers=responder).status_code
        == 403
    )
    assert (
        client.patch(
            f"{STATUS}/components/{code}", json={"name": "X"}, headers=responder
        ).status_code
        == 403
    )
    edited = client.patch(
        f"{STATUS}/components/{code}",
        json={"name": "Public API", "group": None, "only_show_if_degraded": True},
        headers=manager,
    ).json()
    assert edited["name"] == "Public API" and edited["group"] is None
    assert edited["only_show_if_degraded"] and edited["services"] == ["api-gw"]
    assert "status.component_updated" in audit_actions(db)


def test_bad_components_name_the_field_and_store_nothing(
    client: TestClient, personas: Personas
) -> None:
    manager = personas["manager"].headers
    code = make_component(client, personas, "API")
    for body, field in (
        ({"name": "Web", "services": ["no-such-service"]}, "services"),
        ({"name": "Web", "group": "no-such-group"}, "group"),
        ({"name": ""}, "name"),
        ({"description": "no name"}, "name"),
        ({"name": "Web", "only_show_if_degraded": "sometimes"}, "only_show_if_degraded"),
        ({"name": "Web", "colour": "red"}, "colour"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Web\x00"}, "name"),
        ({"name": "Web", "services": ["api\x00"]}, "services"),
    ):
        assert_invalid(client.post(f"{STATUS}/components", json=body, headers=manager), field)
    assert list(component_statuses(client, personas)) == ["API"]
    bad_patch = client.patch(
        f"{STATUS}/components/{code}",
        json={"name": "Renamed", "services": ["nope"]},
        headers=manager,
    )
    assert_invalid(bad_patch, "services")
    assert list(component_statuses(client, personas)) == ["API"]
    for ref in ("nope", "99999999999999999999999", "²"):
        response = client.get(f"{STATUS}/components/{ref}", headers=manager)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_responders_set_component_status(
    client: TestClient, personas: Personas, db: Database
) -> None:
    code = make_component(client, personas, "API")
    path = f"{STATUS}/components/{code}/status"
    viewer = client.put(path, json={"status": "major_outage"}, headers=personas["viewer"].headers)
    assert viewer.status_code == 403
    changed = client.put(
        path, json={"status": "partial_outage"}, headers=personas["responder"].headers
    )
    assert changed.status_code == 200 and changed.json()["status"] == "partial_outage"
    for body, field in (({"status": "on_fire"}, "status"), ({}, "status"), ([], None)):
        response = client.put(path, json=body, headers=personas["responder"].headers)
        assert_invalid(response, field)  # type: ignore[arg-type]
    assert component_statuses(client, personas) == {"API": "partial_outage"}
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "status.component_status")
        ).one()
        assert event.changes == {"old": "operational", "new": "partial_outage"}
        assert event.actor_name == "responder@example.com"
        assert verify(session).ok


def test_public_incident_from_open_to_resolved(
    client: TestClient, personas: Personas, db: Database, clock: FixedClock
) -> None:
    responder = personas["responder"].headers
    make_component(client, personas, "API")
    make_component(client, personas, "Web")
    body = {
        "name": "Slow checkout",
        "body": "We are looking into it.",
        "impact": "major",
        "components": {"API": "partial_outage"},
    }
    assert (
        client.post(
            f"{STATUS}/incidents", json=body, headers=personas["viewer"].headers
        ).status_code
        == 403
    )
    opened = client.post(f"{STATUS}/incidents", json=body, headers=responder)
    assert opened.status_code == 201, opened.text
    code = opened.json()["id"]
    assert opened.json()["status"] == "investigating" and opened.json()["impact"] == "major"
    assert component_statuses(client, personas) == {"API": "partial_outage", "Web": "operational"}

    clock.advance(minutes=10)
    kept = client.post(
        f"{STATUS}/incidents/{code}/updates",
        json={
            "body": "Still looking.",
            "components": {"Web": "degraded_performance"},
            "notify": False,
        },
        headers=responder,
    ).json()
    assert kept["status"] == "investigating" and {c["name"] for c in kept["components"]} == {
        "API",
        "Web",
    }
    monitoring = client.post(
        f"{STATUS}/incidents/{code}/updates",
        json={"status": "monitoring", "body": "A fix is out."},
        headers=responder,
    ).json()
    assert monitoring["monitoring_at"].startswith("2026-03-02T09:10")

    assert [
        i["id"] for i in client.get(f"{STATUS}/incidents?open=true", headers=responder).json()
    ] == [code]
    resolved = client.post(
        f"{STATUS}/incidents/{code}/updates",
        json={"status": "resolved", "body": "All good."},
        headers=responder,
    ).json()
    assert resolved["resolved_at"] is not None
    assert component_statuses(client, personas) == {"API": "operational", "Web": "operational"}
    shown = client.get(f"{STATUS}/incidents/{code}", headers=personas["viewer"].headers).json()
    assert [u["status"] for u in shown["updates"]] == [
        "resolved",
        "monitoring",
        "investigating",
        "investigating",
    ]
    assert client.get(f"{STATUS}/incidents?open=true", headers=responder).json() == []
    assert len(client.get(f"{STATUS}/incidents?open=false", headers=responder).json()) == 1

    late = client.post(
        f"{STATUS}/incidents/{code}/updates", json={"body": "Oh, and"}, headers=responder
    )
    assert late.status_code == 409
    # One subscriber notification per update that asked for it: three of four.
    assert job_kinds(db).count("status.notify") == 3
    actions = audit_actions(db)
    assert (
        actions.count("status.incident_opened") == 1 and actions.count("status.update_posted") == 4
    )


def test_bad_public_incidents_name_the_field_and_store_nothing(
    client: TestClient, personas: Personas, db: Database
) -> None:
    responder = personas["responder"].headers
    make_component(client, personas, "API")
    good = {"name": "Slow", "body": "Looking", "components": {"API": "partial_outage"}}
    for change, field in (
        ({"components": {"API": "major_outage", "Nope": "partial_outage"}}, "components"),
        ({"components": {"API": "on_fire"}}, "components"),
        ({"components": {"99999999999999999999999": "major_outage"}}, "components"),
        ({"components": ["API"]}, "components"),
        ({"status": "panicking"}, "status"),
        ({"impact": "apocalyptic"}, "impact"),
        ({"name": ""}, "name"),
        ({"body": " "}, "body"),
        ({"notify": "maybe"}, "notify"),
        ({"severity": "SEV1"}, "severity"),
        ({"name": "Slow \x00"}, "name"),
        ({"components": {"API\x00": "major_outage"}}, "components"),
    ):
        response = client.post(f"{STATUS}/incidents", json={**good, **change}, headers=responder)
        assert_invalid(response, field)
    assert client.get(f"{STATUS}/incidents", headers=responder).json() == []
    assert component_statuses(client, personas) == {"API": "operational"}
    assert "status.incident_opened" not in audit_actions(db) and "status.notify" not in job_kinds(
        db
    )

    code = client.post(f"{STATUS}/incidents", json=good, headers=responder).json()["id"]
    bad_update = client.post(
        f"{STATUS}/incidents/{code}/updates",
        json={"body": "Fixed", "status": "resolved", "components": {"Nope": "operational"}},
        headers=responder,
    )
    assert_invalid(bad_update, "components")
    shown = client.get(f"{STATUS}/incidents/{code}", headers=responder).json()
    assert shown["status"] == "investigating" and len(shown["updates"]) == 1
    assert component_statuses(client, personas) == {"API": "partial_outage"}
    assert client.get(f"{STATUS}/incidents/nope", headers=responder).status_code == 404
    assert client.get(f"{STATUS}/incidents?kind=outage", headers=responder).status_code == 422


def test_maintenance_is_scheduled_started_and_completed(
    client: TestClient, personas: Personas, db: Database, clock: FixedClock
) -> None:
    responder = personas["responder"].headers
    make_component(client, personas, "Database")
    start, end = clock.now() + timedelta(hours=12), clock.now() + timedelta(hours=14)
    body = {
        "name": "Database upgrade",
        "body": "PostgreSQL 17.",
        "scheduled_for": start.isoformat(),
        "scheduled_until": end.isoformat(),
        "components": ["Database"],
    }
    viewer = client.post(f"{STATUS}/maintenances", json=body, headers=personas["viewer"].headers)
    assert viewer.status_code == 403
    for change, field in (
        ({"scheduled_for": "2026-03-02T21:00:00"}, "scheduled_for"),
        ({"scheduled_until": start.isoformat()}, "scheduled_until"),
        ({"scheduled_for": "soon"}, "scheduled_for"),
        ({"scheduled_until": "9999-12-31T23:59:59-05:00"}, "scheduled_until"),
        ({"components": ["Nope"]}, "components"),
        ({"name": ""}, "name"),
    ):
        response = client.post(f"{STATUS}/maintenances", json={**body, **change}, headers=responder)
        assert_invalid(response, field)
    assert client.get(f"{STATUS}/incidents", headers=responder).json() == []

    made = client.post(f"{STATUS}/maintenances", json=body, headers=responder)
    assert made.status_code == 201, made.text
    maintenance = made.json()
    assert (maintenance["kind"], maintenance["status"]) == ("maintenance", "scheduled")
    assert maintenance["scheduled_for"].startswith("2026-03-02T21:00")
    assert job_kinds(db).count("status.maintenance") == 2
    listed = client.get(f"{STATUS}/incidents?kind=maintenance", headers=responder).json()
    assert [m["id"] for m in listed] == [maintenance["id"]]

    path = f"{STATUS}/incidents/{maintenance['id']}/updates"
    client.post(path, json={"status": "in_progress", "body": "Started."}, headers=responder)
    assert component_statuses(client, personas) == {"Database": "under_maintenance"}
    wrong = client.post(path, json={"status": "resolved", "body": "x"}, headers=responder)
    assert_invalid(wrong, "status")
    client.post(path, json={"status": "completed", "body": "Done."}, headers=responder)
    assert component_statuses(client, personas) == {"Database": "operational"}
    assert "status.maintenance_scheduled" in audit_actions(db)


def test_templates_are_written_by_managers(
    client: TestClient, personas: Personas, db: Database
) -> None:
    manager = personas["manager"].headers
    body = {"name": "Investigating", "title": "Degraded", "body": "We are looking into it."}
    refused = client.post(f"{STATUS}/templates", json=body, headers=personas["responder"].headers)
    assert refused.status_code == 403
    made = client.post(f"{STATUS}/templates", json=body, headers=manager)
    assert made.status_code == 201 and made.json()["status"] == "investigating"
    assert_invalid(client.post(f"{STATUS}/templates", json=body, headers=manager), "name", 409)
    assert_invalid(
        client.post(
            f"{STATUS}/templates", json={**body, "name": "B", "status": "x"}, headers=manager
        ),
        "status",
    )
    assert_invalid(
        client.post(f"{STATUS}/templates", json={"name": "C", "body": ""}, headers=manager), "body"
    )
    listed = client.get(f"{STATUS}/templates", headers=personas["viewer"].headers).json()
    assert [t["name"] for t in listed] == ["Investigating"]
    assert audit_actions(db).count("status.template_created") == 1


def test_publishing_from_an_incident(client: TestClient, personas: Personas, db: Database) -> None:
    responder = personas["responder"].headers
    make_component(client, personas, "API")
    ref = declare(client, personas["responder"])
    path = f"/api/v1/incidents/{ref}/public-updates"
    viewer = client.post(path, json={"body": "x"}, headers=personas["viewer"].headers)
    assert viewer.status_code == 403
    first = client.post(
        path,
        json={"body": "Payments are failing.", "components": {"API": "major_outage"}},
        headers=responder,
    )
    assert first.status_code == 201, first.text
    public = first.json()
    assert (public["incident"], public["name"], public["status"]) == (
        ref,
        "Checkout failing",
        "investigating",
    )
    second = client.post(
        path, json={"body": "Fix deployed.", "status": "monitoring"}, headers=responder
    ).json()
    assert second["id"] == public["id"] and len(second["updates"]) == 2
    assert_invalid(
        client.post(
            path, json={"body": "x", "components": {"Nope": "major_outage"}}, headers=responder
        ),
        "components",
    )
    assert (
        len(client.get(f"{STATUS}/incidents/{public['id']}", headers=responder).json()["updates"])
        == 2
    )

    resolved = client.post(
        path, json={"body": "Resolved.", "status": "resolved"}, headers=responder
    ).json()
    assert resolved["status"] == "resolved" and component_statuses(client, personas) == {
        "API": "operational"
    }
    timeline = client.get(
        f"/api/v1/incidents/{ref}/timeline?kind=public_update", headers=responder
    ).json()
    assert [e["data"]["status"] for e in timeline] == ["investigating", "monitoring", "resolved"]
    # After a resolved one, the next update opens a new public incident.
    again = client.post(
        path, json={"body": "It is back.", "impact": "critical"}, headers=responder
    ).json()
    assert again["id"] != public["id"] and again["impact"] == "critical"
    assert (
        client.post(
            "/api/v1/incidents/INC-999/public-updates", json={"body": "x"}, headers=responder
        ).status_code
        == 404
    )


def test_outsiders_cannot_publish_from_a_restricted_incident(
    client: TestClient, personas: Personas, db: Database
) -> None:
    make_component(client, personas, "API")
    ref = declare(client, personas["responder"], title="Insider", type="insider", restricted=True)
    body = {"body": "Something happened.", "components": {"API": "major_outage"}}
    path = f"/api/v1/incidents/{ref}/public-updates"
    hidden = client.post(path, json=body, headers=personas["outsider"].headers)
    assert hidden.status_code == 404 and hidden.json()["error"]["message"] == f"no incident {ref}"
    assert client.get(f"{STATUS}/incidents", headers=personas["admin"].headers).json() == []
    assert component_statuses(client, personas) == {"API": "operational"}
    allowed = client.post(path, json=body, headers=personas["admin"].headers)
    assert allowed.status_code == 201 and allowed.json()["incident"] == ref
