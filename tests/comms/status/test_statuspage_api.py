"""The public Statuspage v2 JSON API: every endpoint answers without a login,
in the documented shape (field names and types), with CORS and caching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.comms.status import components, service
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.deps import Principal
from fireline.people.models import Role
from tests.conftest import Persona

BASE_URL = "https://status.example.com"

# --- the documented shapes ---------------------------------------------------------

TIME = "iso 8601 timestamp with offset"
TIME_OR_NULL = "iso 8601 timestamp with offset, or null"
DATE_OR_NULL = "yyyy-mm-dd, or null"
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)")

PAGE = {"id": str, "name": str, "url": str, "time_zone": str, "updated_at": TIME}
STATUS = {"indicator": str, "description": str}
COMPONENT = {
    "id": str,
    "name": str,
    "status": str,
    "created_at": TIME,
    "updated_at": TIME,
    "position": int,
    "description": (str, type(None)),
    "showcase": bool,
    "start_date": DATE_OR_NULL,
    "group_id": (str, type(None)),
    "page_id": str,
    "group": bool,
    "only_show_if_degraded": bool,
}
GROUP = {**COMPONENT, "components": [str]}
AFFECTED = {"code": str, "name": str, "old_status": str, "new_status": str}
UPDATE = {
    "id": str,
    "status": str,
    "body": str,
    "incident_id": str,
    "created_at": TIME,
    "updated_at": TIME,
    "display_at": TIME,
    "affected_components": ([AFFECTED], type(None)),
    "deliver_notifications": bool,
    "custom_tweet": (str, type(None)),
    "tweet_id": (str, type(None)),
}
INCIDENT = {
    "id": str,
    "name": str,
    "status": str,
    "created_at": TIME,
    "updated_at": TIME,
    "monitoring_at": TIME_OR_NULL,
    "resolved_at": TIME_OR_NULL,
    "impact": str,
    "shortlink": str,
    "started_at": TIME,
    "page_id": str,
    "incident_updates": [UPDATE],
    "components": [COMPONENT],
}
MAINTENANCE = {**INCIDENT, "scheduled_for": TIME, "scheduled_until": TIME}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}


def check(value: Any, shape: Any, where: str = "$") -> None:
    """Assert ``value`` has exactly the fields of ``shape``, each of its type."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        assert set(value) == set(shape), f"{where}: fields {sorted(set(value) ^ set(shape))}"
        for key, inner in shape.items():
            check(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        for n, item in enumerate(value):
            check(item, shape[0], f"{where}[{n}]")
    elif isinstance(shape, tuple) and any(not isinstance(s, type) for s in shape):
        errors = []
        for option in shape:
            try:
                check(value, option, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(" / ".join(errors))
    elif shape in (TIME, TIME_OR_NULL):
        if value is None and shape == TIME_OR_NULL:
            return
        assert isinstance(value, str) and _TIME.fullmatch(value), f"{where}: {value!r}"
    elif shape == DATE_OR_NULL:
        assert value is None or re.fullmatch(r"\d{4}-\d\d-\d\d", value), f"{where}: {value!r}"
    else:
        # bool is an int in Python; Statuspage's integers are never booleans.
        assert isinstance(value, shape) and not (shape is int and isinstance(value, bool)), (
            f"{where}: expected {shape}, got {value!r}"
        )


def test_the_checker_catches_a_wrong_shape() -> None:
    with pytest.raises(AssertionError):
        check({"indicator": "none"}, STATUS)
    with pytest.raises(AssertionError):
        check({"indicator": "none", "description": 3}, STATUS)
    with pytest.raises(AssertionError):
        check({**dict.fromkeys(PAGE, "x")}, PAGE)  # updated_at is not a timestamp


# --- a page with something on it ---------------------------------------------------


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, migrate_on_start=False, base_url=BASE_URL)


def principal(persona: Persona) -> Principal:
    assert persona.user_id is not None and persona.email is not None
    return Principal(
        persona.user_id, persona.email, persona.role, Role(persona.role), "UTC", "token"
    )


@dataclass
class Page:
    group: str
    api: str
    web: str
    solo: str
    incident: str
    resolved: str
    upcoming: str
    active: str


def build_page(db: Database, clock: FixedClock, admin: Principal) -> Page:
    """A group of two components and one on its own; a resolved incident, an
    open one with two updates, an upcoming and an in-progress maintenance."""
    at = clock.now()
    with db.transaction() as s:
        components.update_page_settings(s, admin, at, name="Acme", time_zone="Europe/Berlin")
        group = components.create_group(s, admin, at, name="Platform")
        api = components.create_component(s, admin, at, name="API", group=group.code)
        web = components.create_component(s, admin, at, name="Website", group=group.code)
        solo = components.create_component(s, admin, at, name="E-mail", description="Outbound")
        old = service.open_incident(
            s, admin, at + timedelta(hours=1), name="Slow logins", body="Looking", impact="minor"
        )
        service.post_update(
            s, admin, at + timedelta(hours=2), old, status="resolved", body="Fixed", notify=False
        )
        current = service.open_incident(
            s, admin, at + timedelta(hours=3), name="API errors", body="Investigating"
        )
        service.post_update(
            s,
            admin,
            at + timedelta(hours=4),
            current,
            status="identified",
            body="A bad deploy",
            components={api.code: "major_outage"},
        )
        upcoming = service.schedule_maintenance(
            s,
            admin,
            at,
            name="Database upgrade",
            body="Brief read-only period",
            scheduled_for=at + timedelta(days=2),
            scheduled_until=at + timedelta(days=2, hours=1),
            components=[web.code],
        )
        active = service.schedule_maintenance(
            s,
            admin,
            at,
            name="Mail relay swap",
            body="Swapping relays",
            scheduled_for=at + timedelta(hours=4),
            scheduled_until=at + timedelta(hours=8),
            components=[solo.code],
        )
        service.post_update(
            s, admin, at + timedelta(hours=4), active, status="in_progress", body="Started"
        )
        page = Page(
            group.code,
            api.code,
            web.code,
            solo.code,
            current.code,
            old.code,
            upcoming.code,
            active.code,
        )
    clock.advance(hours=5)
    return page


@pytest.fixture
def page(db: Database, clock: FixedClock, personas: dict[str, Persona]) -> Page:
    return build_page(db, clock, principal(personas["admin"]))


ENDPOINTS = [
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
]


def get(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_components(components: list[dict[str, Any]]) -> None:
    for entry in components:
        check(entry, GROUP if entry["group"] else COMPONENT)
        assert entry["status"] in COMPONENT_STATUSES


# --- the endpoints -----------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_is_public_cacheable_and_readable_from_other_sites(
    client: TestClient, page: Page, path: str
) -> None:
    response = client.get(path, headers={"Origin": "https://widgets.example.net"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "public, max-age=30"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    check(body["page"], PAGE)
    assert body["page"]["name"] == "Acme"
    assert body["page"]["url"] == f"{BASE_URL}/status"
    assert body["page"]["time_zone"] == "Europe/Berlin"
    assert body["page"]["updated_at"].endswith("+01:00")  # the page's zone


def test_summary(client: TestClient, page: Page) -> None:
    body = get(client, "/api/v2/summary.json")
    assert set(body) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    check(body["status"], STATUS)
    assert body["status"] == {"indicator": "critical", "description": "Major System Outage"}
    check_components(body["components"])
    assert [c["name"] for c in body["components"]] == ["Platform", "API", "Website", "E-mail"]
    check(body["incidents"], [INCIDENT])
    assert [i["id"] for i in body["incidents"]] == [page.incident]  # the resolved one is not
    check(body["scheduled_maintenances"], [MAINTENANCE])
    assert {m["id"] for m in body["scheduled_maintenances"]} == {page.upcoming, page.active}


def test_status(client: TestClient, page: Page) -> None:
    body = get(client, "/api/v2/status.json")
    assert set(body) == {"page", "status"}
    check(body["status"], STATUS)
    assert body["status"]["indicator"] == "critical"


def test_status_of_an_empty_page_is_all_operational_and_its_id_stays(client: TestClient) -> None:
    first = get(client, "/api/v2/status.json")
    assert first["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert (
        first["page"]["id"]
        and get(client, "/api/v2/status.json")["page"]["id"] == (first["page"]["id"])
    )
    assert get(client, "/api/v2/components.json")["components"] == []


def test_components_list_groups_with_their_children(client: TestClient, page: Page) -> None:
    body = get(client, "/api/v2/components.json")
    assert set(body) == {"page", "components"}
    check_components(body["components"])
    by_id = {c["id"]: c for c in body["components"]}
    group = by_id[page.group]
    assert group["group"] is True and group["components"] == [page.api, page.web]
    assert group["status"] == "major_outage"  # its worst child
    assert by_id[page.api]["group_id"] == page.group and by_id[page.api]["status"] == "major_outage"
    assert by_id[page.solo]["group_id"] is None and by_id[page.solo]["description"] == "Outbound"
    assert by_id[page.solo]["status"] == "under_maintenance"
    positions = [c["position"] for c in body["components"]]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(c["page_id"] == body["page"]["id"] for c in body["components"])


def test_incidents_have_their_updates_and_affected_components(
    client: TestClient, page: Page
) -> None:
    body = get(client, "/api/v2/incidents.json")
    assert set(body) == {"page", "incidents"}
    check(body["incidents"], [INCIDENT])
    assert [i["id"] for i in body["incidents"]] == [page.incident, page.resolved]  # newest first
    current = body["incidents"][0]
    assert current["status"] == "identified" and current["impact"] == "minor"
    assert current["shortlink"] == f"{BASE_URL}/status/incidents/{page.incident}"
    assert [u["body"] for u in current["incident_updates"]] == ["A bad deploy", "Investigating"]
    newest, first = current["incident_updates"]
    assert newest["affected_components"] == [
        {"code": page.api, "name": "API", "old_status": "operational", "new_status": "major_outage"}
    ]
    assert first["affected_components"] is None
    assert newest["incident_id"] == page.incident and newest["deliver_notifications"] is True
    assert [c["id"] for c in current["components"]] == [page.api]
    resolved = body["incidents"][1]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert resolved["incident_updates"][0]["deliver_notifications"] is False
    assert "scheduled_for" not in resolved


def test_unresolved_incidents(client: TestClient, page: Page) -> None:
    body = get(client, "/api/v2/incidents/unresolved.json")
    check(body["incidents"], [INCIDENT])
    assert [i["id"] for i in body["incidents"]] == [page.incident]


def test_scheduled_maintenances(client: TestClient, page: Page) -> None:
    body = get(client, "/api/v2/scheduled-maintenances.json")
    assert set(body) == {"page", "scheduled_maintenances"}
    check(body["scheduled_maintenances"], [MAINTENANCE])
    assert {m["id"] for m in body["scheduled_maintenances"]} == {page.upcoming, page.active}
    upcoming = next(m for m in body["scheduled_maintenances"] if m["id"] == page.upcoming)
    assert upcoming["impact"] == "maintenance" and upcoming["status"] == "scheduled"
    # 2026-03-04 09:00 UTC is 10:00 in Berlin.
    assert upcoming["scheduled_for"] == "2026-03-04T10:00:00.000+01:00"
    assert upcoming["scheduled_until"] == "2026-03-04T11:00:00.000+01:00"
    assert [c["id"] for c in upcoming["components"]] == [page.web]


def test_upcoming_and_active_maintenances(client: TestClient, page: Page) -> None:
    upcoming = get(client, "/api/v2/scheduled-maintenances/upcoming.json")
    active = get(client, "/api/v2/scheduled-maintenances/active.json")
    check(upcoming["scheduled_maintenances"], [MAINTENANCE])
    check(active["scheduled_maintenances"], [MAINTENANCE])
    assert [m["id"] for m in upcoming["scheduled_maintenances"]] == [page.upcoming]
    assert [m["id"] for m in active["scheduled_maintenances"]] == [page.active]
    assert [u["status"] for u in active["scheduled_maintenances"][0]["incident_updates"]] == [
        "in_progress",
        "scheduled",
    ]


def test_maintenance_alone_shows_as_maintenance(
    client: TestClient, db: Database, clock: FixedClock, personas: dict[str, Persona]
) -> None:
    admin, at = principal(personas["admin"]), clock.now()
    with db.transaction() as s:
        component = components.create_component(s, admin, at, name="Search")
        maintenance = service.schedule_maintenance(
            s,
            admin,
            at,
            name="Reindex",
            body="Reindexing",
            scheduled_for=at + timedelta(hours=1),
            scheduled_until=at + timedelta(hours=2),
            components=[component.code],
        )
    assert get(client, "/api/v2/status.json")["status"]["indicator"] == "none"  # not started
    with db.transaction() as s:
        found = service.find_public_incident(s, maintenance.code)
        service.post_update(
            s, admin, at + timedelta(hours=1), found, status="in_progress", body="Go"
        )
    assert get(client, "/api/v2/status.json")["status"] == {
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }
