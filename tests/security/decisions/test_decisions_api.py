"""Classification with a decision, approvals of response actions, confidential
notes and role-owned tasks, through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent
from fireline.core.db import Database
from tests.conftest import Persona
from tests.incidents.test_api import declare

BREACH = {
    "functional": "high",
    "information": ["privacy"],
    "recoverability": "supplemented",
    "data": ["personal", "health"],
    "records": 250_000,
    "people": 12_000,
    "jurisdictions": ["DE", "US-NY"],
}


def _security_incident(client: TestClient, personas: dict[str, Persona]) -> str:
    response = declare(client, personas["responder"], type="ransomware", severity="3")
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]
    legal = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "legal", "user": "manager@example.com"},
        headers=personas["responder"].headers,
    )
    assert legal.status_code in (200, 201), legal.text
    return ref


def _timeline_kinds(client: TestClient, ref: str, persona: Persona) -> list[str]:
    events = client.get(f"/api/v1/incidents/{ref}/timeline", headers=persona.headers).json()
    return [e["kind"] for e in events]


def test_classification_suggests_and_a_person_decides(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    ref = _security_incident(client, personas)
    assert (
        client.get(f"/api/v1/incidents/{ref}/classification", headers=responder).status_code == 404
    )

    classified = client.put(
        f"/api/v1/incidents/{ref}/classification", json=BREACH, headers=responder
    )
    assert classified.status_code == 200, classified.text
    body = classified.json()
    assert body["suggested_severity"] == "SEV1"
    assert "many records or people affected" in body["suggested_because"]
    keys = {o["key"] for o in body["suggested_obligations"]}
    assert {"gdpr", "nis2", "hipaa", "nydfs", "sec_8k", "circia"} <= keys
    gdpr = next(o for o in body["suggested_obligations"] if o["key"] == "gdpr")
    assert gdpr["conditions"] == {"high_risk": True}
    assert body["decision"] is None

    no_reason = client.post(
        f"/api/v1/incidents/{ref}/classification/decision",
        json={"accept": True, "reason": " "},
        headers=responder,
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    confirmed = client.post(
        f"/api/v1/incidents/{ref}/classification/decision",
        json={"accept": True, "reason": "Health data of 12k people: SEV1."},
        headers=responder,
    )
    assert confirmed.status_code == 200 and confirmed.json()["decision"] == "confirmed"
    incident = client.get(f"/api/v1/incidents/{ref}", headers=responder).json()
    assert incident["severity"] == "SEV1"
    kinds = _timeline_kinds(client, ref, personas["viewer"])
    assert {"classified", "classification_decided", "severity_changed"} <= set(kinds)

    # The same suggestion keeps the decision; a different one asks again.
    again = client.put(f"/api/v1/incidents/{ref}/classification", json=BREACH, headers=responder)
    assert again.json()["decision"] == "confirmed"
    smaller = {"functional": "low", "jurisdictions": ["FR"]}
    changed = client.put(f"/api/v1/incidents/{ref}/classification", json=smaller, headers=responder)
    assert changed.json()["decision"] is None and changed.json()["suggested_severity"] == "SEV3"

    no_severity = client.post(
        f"/api/v1/incidents/{ref}/classification/decision",
        json={"accept": False, "reason": "Legal says otherwise"},
        headers=responder,
    )
    assert no_severity.json()["error"]["field"] == "severity"
    overridden = client.post(
        f"/api/v1/incidents/{ref}/classification/decision",
        json={"accept": False, "severity": "SEV2", "reason": "Customer-facing: keep it high."},
        headers=responder,
    )
    assert overridden.json()["decision"] == "overridden"
    assert overridden.json()["decided_severity"] == "SEV2"
    assert client.get(f"/api/v1/incidents/{ref}", headers=responder).json()["severity"] == "SEV2"


def test_bad_classifications_name_the_field_and_change_nothing(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    ref = _security_incident(client, personas)
    for bad, field in (
        ({**BREACH, "functional": "huge"}, "functional"),
        ({**BREACH, "data": ["gossip"]}, "data"),
        ({**BREACH, "records": -1}, "records"),
        ({**BREACH, "jurisdictions": ["Germany"]}, "jurisdictions"),
        ({**BREACH, "colour": "red"}, "colour"),
    ):
        response = client.put(
            f"/api/v1/incidents/{ref}/classification", json=bad, headers=responder
        )
        assert response.status_code == 422, (bad, response.text)
        assert field in json.dumps(response.json()["error"]), (field, response.json())
    assert (
        client.get(f"/api/v1/incidents/{ref}/classification", headers=responder).status_code == 404
    )
    outage = declare(client, personas["responder"]).json()["ref"]
    refused = client.put(
        f"/api/v1/incidents/{outage}/classification", json=BREACH, headers=responder
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "type"


def test_an_action_waits_for_every_named_role_before_it_is_carried_out(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    commander, legal = personas["responder"].headers, personas["manager"].headers
    ref = _security_incident(client, personas)
    asked = client.post(
        f"/api/v1/incidents/{ref}/approvals",
        json={
            "phase": "containment",
            "title": "Isolate fs-02 from the network",
            "description": "Cuts the share for 300 people.",
            "roles": ["incident_commander", "legal"],
        },
        headers=commander,
    )
    assert asked.status_code == 201, asked.text
    approval = asked.json()
    url = f"/api/v1/incidents/{ref}/approvals/{approval['id']}"
    assert approval["status"] == "pending"

    early = client.post(f"{url}/carried-out", json={"outcome": "done"}, headers=commander)
    assert early.status_code == 409 and "only once approved" in early.json()["error"]["message"]
    stranger = client.post(
        f"{url}/decisions",
        json={"role": "legal", "decision": "approve", "rationale": "fine"},
        headers=personas["outsider"].headers,
    )
    assert stranger.status_code == 403
    by_legal = client.post(
        f"{url}/decisions",
        json={"role": "legal", "decision": "approve", "rationale": "Evidence preserved first."},
        headers=legal,
    )
    assert by_legal.status_code == 200 and by_legal.json()["status"] == "pending"
    twice = client.post(
        f"{url}/decisions",
        json={"role": "legal", "decision": "reject", "rationale": "changed my mind"},
        headers=legal,
    )
    assert twice.status_code in (403, 409)
    by_commander = client.post(
        f"{url}/decisions",
        json={"role": "incident_commander", "decision": "approve", "rationale": "Go."},
        headers=commander,
    )
    assert by_commander.json()["status"] == "approved"
    assert [d["role"] for d in by_commander.json()["decisions"]] == ["legal", "incident_commander"]
    done = client.post(
        f"{url}/carried-out", json={"outcome": "Switch port 14 shut at 10:02."}, headers=commander
    )
    assert done.status_code == 200 and done.json()["status"] == "carried_out"
    kinds = _timeline_kinds(client, ref, personas["viewer"])
    assert kinds.count("approval_decided") == 2
    assert {"approval_requested", "action_carried_out"} <= set(kinds)


def test_a_rejection_stops_the_action_and_requests_can_be_withdrawn(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    commander, legal = personas["responder"].headers, personas["manager"].headers
    ref = _security_incident(client, personas)

    def ask(title: str) -> str:
        response = client.post(
            f"/api/v1/incidents/{ref}/approvals",
            json={"phase": "eradication", "title": title, "roles": ["legal"]},
            headers=commander,
        )
        return f"/api/v1/incidents/{ref}/approvals/{response.json()['id']}"

    wipe = ask("Wipe the laptop")
    rejected = client.post(
        f"{wipe}/decisions",
        json={"role": "legal", "decision": "reject", "rationale": "Litigation hold on it."},
        headers=legal,
    )
    assert rejected.json()["status"] == "rejected"
    assert (
        client.post(f"{wipe}/carried-out", json={"outcome": "x"}, headers=commander).status_code
        == 409
    )

    rotate = ask("Rotate all keys")
    assert client.post(f"{rotate}/withdraw", json={"reason": "x"}, headers=legal).status_code == 403
    withdrawn = client.post(f"{rotate}/withdraw", json={"reason": "Not needed."}, headers=commander)
    assert withdrawn.json()["status"] == "withdrawn"
    bad = client.post(
        f"/api/v1/incidents/{ref}/approvals",
        json={"phase": "lunch", "title": "x", "roles": ["legal"]},
        headers=commander,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phase"
    missing = client.post(
        f"/api/v1/incidents/{ref}/approvals/999999/withdraw",
        json={"reason": "x"},
        headers=commander,
    )
    assert missing.status_code == 404


def test_confidential_notes_are_read_only_by_their_roles_and_chained_by_hash(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    ref = _security_incident(client, personas)
    secret = "The suspect is on the night shift; HR has been told."
    written = client.post(
        f"/api/v1/incidents/{ref}/confidential-notes",
        json={"body": secret, "roles": ["legal", "hr_liaison"]},
        headers=personas["responder"].headers,
    )
    assert written.status_code == 201, written.text
    for persona, readable in (("manager", True), ("admin", True), ("viewer", False)):
        notes = client.get(
            f"/api/v1/incidents/{ref}/confidential-notes", headers=personas[persona].headers
        ).json()
        assert notes[0]["readable"] is readable, persona
        assert (notes[0]["body"] == secret) is readable, persona
    timeline = client.get(
        f"/api/v1/incidents/{ref}/timeline", headers=personas["viewer"].headers
    ).text
    assert "night shift" not in timeline and "confidential_note" in timeline
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with db.transaction() as session:
        record = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "incident.confidential_note")
        )
        assert record is not None
        assert record.changes["body_sha256"] == digest
        assert "night shift" not in json.dumps(record.changes)
    unknown = client.post(
        f"/api/v1/incidents/{ref}/confidential-notes",
        json={"body": "x", "roles": ["ciso"]},
        headers=personas["responder"].headers,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "roles"


def test_tasks_can_belong_to_a_role(client: TestClient, personas: dict[str, Persona]) -> None:
    ref = _security_incident(client, personas)
    task = client.post(
        f"/api/v1/incidents/{ref}/tasks",
        json={"title": "Review the regulator notice draft", "role": "legal"},
        headers=personas["responder"].headers,
    )
    assert task.status_code == 201 and task.json()["role"] == "legal"
    bad = client.post(
        f"/api/v1/incidents/{ref}/tasks",
        json={"title": "x", "role": "janitor"},
        headers=personas["responder"].headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "role"
