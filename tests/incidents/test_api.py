"""The incidents API: declare, lifecycle, severity, roles, notes, visibility."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from fireline.core.audit import verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.conftest import Persona


def declare(client: TestClient, persona: Persona, **fields):  # type: ignore[no-untyped-def]
    body = {"title": "Checkout failing", "type": "outage", "severity": "2", **fields}
    return client.post("/api/v1/incidents", json=body, headers=persona.headers)


def test_declare_with_defaults_and_a_reference(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    response = declare(client, personas["responder"], summary="500s on /pay")
    assert response.status_code == 201, response.text
    incident = response.json()
    assert incident["ref"] == f"INC-{incident['id']}"
    assert incident["type"] == "service_outage" and incident["severity"] == "SEV2"
    assert incident["status"] == "triage" and incident["is_open"]
    assert incident["commander"]["email"] == "responder@example.com"
    assert incident["milestones"]["declared"] == incident["milestones"]["started"]
    shown = client.get(f"/api/v1/incidents/{incident['ref']}", headers=personas["viewer"].headers)
    assert shown.status_code == 200 and shown.json()["title"] == "Checkout failing"


def test_idempotency_key_makes_one_incident(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    headers = {**personas["responder"].headers, "Idempotency-Key": "retry-me"}
    body = {"title": "Checkout failing", "type": "service_outage", "severity": "SEV1"}
    first = client.post("/api/v1/incidents", json=body, headers=headers)
    second = client.post("/api/v1/incidents", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ref"] == second.json()["ref"]
    assert len(client.get("/api/v1/incidents", headers=headers).json()) == 1


def test_severity_suggested_from_classification(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    response = client.post(
        "/api/v1/incidents",
        json={
            "title": "Strange logins",
            "type": "leaked",
            "classification": {"data_sensitivity": "confirmed"},
        },
        headers=personas["responder"].headers,
    )
    assert response.status_code == 201 and response.json()["severity"] == "SEV1"
    assert response.json()["status"] == "detection_and_analysis"
    events = client.get(
        f"/api/v1/incidents/{response.json()['ref']}/timeline",
        headers=personas["responder"].headers,
    ).json()
    assert events[0]["data"]["suggested_severity"] == "SEV1"


def test_bad_declarations_name_the_field(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    future = (clock.now() + timedelta(hours=1)).isoformat()
    cases = [
        ({"title": "", "type": "outage", "severity": "1"}, "title"),
        ({"title": "x", "type": "volcano", "severity": "1"}, "type"),
        ({"title": "x", "type": "outage", "severity": "SEV9"}, "severity"),
        ({"title": "x", "type": "outage"}, "severity"),
        ({"title": "x", "type": "outage", "severity": "1", "started_at": future}, "started_at"),
        ({"title": "x", "type": "outage", "severity": "1", "services": ["nope"]}, "services"),
        (
            {"title": "x", "type": "outage", "severity": "1", "classification": {"impact": "meh"}},
            "classification.impact",
        ),
    ]
    for body, field in cases:
        response = client.post(
            "/api/v1/incidents", json=body, headers=personas["responder"].headers
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body
    assert client.get("/api/v1/incidents", headers=personas["admin"].headers).json() == []


def test_lifecycle_with_milestones_after_the_fact(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    refused = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "closed"}, headers=responder
    )
    assert refused.status_code == 409
    assert (
        "allowed states are investigating, identified, mitigated, resolved"
        in refused.json()["error"]["message"]
    )

    happened = clock.now()
    clock.advance(minutes=30)
    moved = client.post(
        f"/api/v1/incidents/{ref}/status",
        json={
            "status": "mitigated",
            "reason": "rolled back at 09:00",
            "occurred_at": happened.isoformat(),
        },
        headers=responder,
    ).json()
    assert moved["status"] == "mitigated" and moved["is_open"]
    assert moved["milestones"]["mitigated"].startswith("2026-03-02T09:00:00")
    resolved = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}, headers=responder
    ).json()
    assert not resolved["is_open"] and resolved["milestones"]["resolved"].startswith(
        "2026-03-02T09:30"
    )
    events = client.get(
        f"/api/v1/incidents/{ref}/timeline?kind=status_changed", headers=responder
    ).json()
    assert events[0]["occurred_at"].startswith("2026-03-02T09:00") and events[0][
        "recorded_at"
    ].startswith("2026-03-02T09:30")
    assert events[0]["body"] == "rolled back at 09:00"


def test_severity_roles_and_notes_are_on_the_timeline_and_in_the_chain(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    no_reason = client.post(
        f"/api/v1/incidents/{ref}/severity",
        json={"severity": "SEV1", "reason": ""},
        headers=responder,
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    raised = client.post(
        f"/api/v1/incidents/{ref}/severity",
        json={"severity": "1", "reason": "all regions"},
        headers=responder,
    )
    assert raised.json()["severity"] == "SEV1"

    handover = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "incident_commander", "user": "manager@example.com"},
        headers=responder,
    )
    assert handover.status_code == 201
    roles = handover.json()["roles"]
    assert [r["user"] for r in roles if r["role"] == "incident_commander"] == ["Manager"]
    assert handover.json()["commander"]["email"] == "manager@example.com"
    client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "scribe", "user": "viewer@example.com"},
        headers=responder,
    )
    unknown = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "wizard", "user": "viewer@example.com"},
        headers=responder,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "role"
    gone = client.delete(
        f"/api/v1/incidents/{ref}/roles/scribe/viewer@example.com", headers=responder
    )
    assert [r["role"] for r in gone.json()["roles"]] == ["incident_commander"]

    note = client.post(
        f"/api/v1/incidents/{ref}/notes",
        json={"body": "Rollback **started**", "pinned": True},
        headers=responder,
    )
    assert note.status_code == 201 and note.json()["pinned"]
    # The outage playbook's start and its first task are on the timeline too.
    playbook_kinds = ("playbook_started", "task_added")
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder).json()
        if e["kind"] not in playbook_kinds
    ]
    assert kinds == [
        "declared",
        "severity_changed",
        "role_assigned",
        "role_assigned",
        "role_unassigned",
        "note",
    ]
    with db.session() as session:
        assert verify(session).ok
    viewer_note = client.post(
        f"/api/v1/incidents/{ref}/notes", json={"body": "hi"}, headers=personas["viewer"].headers
    )
    assert viewer_note.status_code == 403


def test_restricted_incident_is_invisible_to_outsiders(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    """The responder declares; the outsider is another responder; admins and participants see it."""
    responder, outsider = personas["responder"].headers, personas["outsider"].headers
    ref = declare(
        client,
        personas["responder"],
        title="Insider copying files",
        type="insider",
        restricted=True,
    ).json()["ref"]
    declare(client, personas["responder"], title="Public outage")
    for path in (f"/api/v1/incidents/{ref}", f"/api/v1/incidents/{ref}/timeline"):
        response = client.get(path, headers=outsider)
        assert (
            response.status_code == 404
            and response.json()["error"]["message"] == f"no incident {ref}"
        )
    for method, path, body in (
        ("POST", f"/api/v1/incidents/{ref}/notes", {"body": "x"}),
        ("POST", f"/api/v1/incidents/{ref}/status", {"status": "containment"}),
        ("POST", f"/api/v1/incidents/{ref}/severity", {"severity": "1", "reason": "x"}),
        (
            "POST",
            f"/api/v1/incidents/{ref}/roles",
            {"role": "scribe", "user": "manager@example.com"},
        ),
    ):
        assert client.request(method, path, json=body, headers=outsider).status_code == 404, path
    titles = [i["title"] for i in client.get("/api/v1/incidents", headers=outsider).json()]
    assert titles == ["Public outage"]
    assert len(client.get("/api/v1/incidents", headers=personas["admin"].headers).json()) == 2
    assert client.get(f"/api/v1/incidents/{ref}", headers=responder).status_code == 200
    # Adding someone to a role makes them a participant who may see it.
    client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "hr_liaison", "user": "outsider@example.com"},
        headers=responder,
    )
    assert client.get(f"/api/v1/incidents/{ref}", headers=outsider).status_code == 200


def test_list_filters_and_pagination(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"].headers
    client.post(
        "/api/v1/services",
        json={"slug": "api-gateway", "name": "API"},
        headers=personas["manager"].headers,
    )
    for n in range(5):
        clock.advance(minutes=1)
        declare(
            client,
            personas["responder"],
            title=f"Incident {n}",
            severity=str(1 + n % 2),
            services=["api"] if n == 0 else [],
        )
    listed = client.get("/api/v1/incidents?severity=SEV1", headers=responder).json()
    assert [i["title"] for i in listed] == ["Incident 4", "Incident 2", "Incident 0"]
    page = client.get("/api/v1/incidents?limit=2&offset=2", headers=responder).json()
    assert [i["title"] for i in page] == ["Incident 2", "Incident 1"]
    assert [
        i["title"]
        for i in client.get("/api/v1/incidents?service=api-gateway", headers=responder).json()
    ] == ["Incident 0"]
    assert client.get("/api/v1/incidents?status=closed", headers=responder).json() == []
    assert client.get("/api/v1/incidents?limit=0", headers=responder).status_code == 422


def test_required_roles_by_severity_and_followers(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    sev1 = declare(client, personas["responder"], severity="1").json()
    assert sev1["missing_roles"] == ["communications_lead"]
    filled = client.post(
        f"/api/v1/incidents/{sev1['ref']}/roles",
        json={"role": "communications_lead", "user": "manager@example.com"},
        headers=responder,
    ).json()
    assert filled["missing_roles"] == []
    assert declare(client, personas["responder"], severity="3").json()["missing_roles"] == []

    viewer = personas["viewer"]
    followed = client.put(f"/api/v1/incidents/{sev1['ref']}/follow", headers=viewer.headers).json()
    assert {"user_id": viewer.user_id, "kind": "follower"} in followed["participants"]
    unfollowed = client.delete(
        f"/api/v1/incidents/{sev1['ref']}/follow", headers=viewer.headers
    ).json()
    assert all(p["user_id"] != viewer.user_id for p in unfollowed["participants"])


def test_milestones_set_after_the_fact_keep_both_times(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    clock.advance(minutes=20)
    detected = (clock.now() - timedelta(minutes=30)).isoformat()
    body = {
        "milestone": "detected",
        "at": detected,
        "reason": "first 5xx alert in the load balancer logs",
    }
    updated = client.post(
        f"/api/v1/incidents/{ref}/milestones",
        json={**body, "milestone": "started"},
        headers=responder,
    )
    assert updated.status_code == 200
    updated = client.post(
        f"/api/v1/incidents/{ref}/milestones", json=body, headers=responder
    ).json()
    assert updated["milestones"]["detected"].startswith("2026-03-02T08:50")
    [event] = [
        e
        for e in client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder).json()
        if e["data"].get("milestone") == "detected"
    ]
    assert event["occurred_at"].startswith("2026-03-02T08:50") and event["recorded_at"].startswith(
        "2026-03-02T09:20"
    )
    assert event["actor_id"] == personas["responder"].user_id and event["body"].startswith(
        "first 5xx"
    )
    for bad, field in (
        ({**body, "milestone": "closed"}, "milestone"),
        ({**body, "reason": " "}, "reason"),
        ({**body, "at": (clock.now() + timedelta(minutes=1)).isoformat()}, "at"),
    ):
        response = client.post(f"/api/v1/incidents/{ref}/milestones", json=bad, headers=responder)
        assert response.status_code == 422 and response.json()["error"]["field"] == field


def test_an_outage_found_to_be_ransomware_takes_the_new_type(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    url = f"/api/v1/incidents/{ref}/type"
    client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "investigating"}, headers=responder
    )
    refusals = [
        ({"type": "ransomware", "reason": " "}, 422, "reason"),
        ({"type": "outage", "reason": "same"}, 422, "type"),
        ({"type": "volcano", "reason": "lava"}, 422, "type"),
        ({"type": "ransomware", "reason": "files encrypted"}, 409, "status"),
        ({"type": "ransomware", "reason": "x", "status": "recovery"}, 409, "status"),
    ]
    for body, status, field in refusals:
        refused = client.post(url, json=body, headers=responder)
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["error"]["field"] == field
    unchanged = client.get(f"/api/v1/incidents/{ref}", headers=responder).json()
    assert (unchanged["type"], unchanged["status"]) == ("service_outage", "investigating")
    assert (
        client.post(
            url, json={"type": "ransomware", "reason": "x"}, headers=personas["viewer"].headers
        ).status_code
        == 403
    )

    changed = client.post(
        url,
        json={"type": "ransomware", "reason": "files encrypted", "status": "containment"},
        headers=responder,
    )
    assert changed.status_code == 200, changed.text
    incident = changed.json()
    assert (incident["type"], incident["status"]) == ("ransomware", "containment")
    assert incident["milestones"]["mitigated"] is not None and incident["is_open"]
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder).json()
    [event] = [e for e in timeline if e["kind"] == "type_changed"]
    assert event["body"] == "files encrypted" and event["pinned"]
    assert event["data"] == {
        "from": "service_outage",
        "to": "ransomware",
        "status": {"from": "investigating", "to": "containment"},
    }
    runs = client.get(f"/api/v1/incidents/{ref}/playbooks", headers=responder).json()
    assert sorted(run["playbook"] for run in runs) == ["ransomware", "service-outage"]
    moved = client.post(
        f"/api/v1/incidents/{ref}/status", json={"status": "eradication"}, headers=responder
    )
    assert moved.status_code == 200, moved.text

    back = client.post(
        url,
        json={"type": "outage", "reason": "a false alarm", "status": "investigating"},
        headers=responder,
    )
    assert back.status_code == 200 and back.json()["status"] == "investigating"
    runs = client.get(f"/api/v1/incidents/{ref}/playbooks", headers=responder).json()
    assert len(runs) == 2  # the outage playbook is not started twice


def test_a_closed_incident_is_reopened_before_its_type_changes(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    client.post(f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}, headers=responder)
    refused = client.post(
        f"/api/v1/incidents/{ref}/type",
        json={"type": "degradation", "reason": "smaller than we thought"},
        headers=responder,
    )
    assert refused.status_code == 409 and "reopen" in refused.json()["error"]["message"]
