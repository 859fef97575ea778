"""The compliance report: a period's incidents as audit evidence, with the
Annex A controls and the audit chain's verification."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.postmortems.models import PostMortem
from tests.conftest import Persona
from tests.incidents.test_api import declare
from tests.security.decisions.test_decisions_api import BREACH, _security_incident
from tests.web.helpers import sign_in


def _story(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> str:
    """A security incident with something on record for every control."""
    commander, admin = personas["responder"], personas["admin"]
    ref = _security_incident(client, personas)
    client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "security_lead", "user": "responder@example.com"},
        headers=commander.headers,
    )
    client.put(f"/api/v1/incidents/{ref}/classification", json=BREACH, headers=commander.headers)
    client.post(
        f"/api/v1/incidents/{ref}/classification/decision",
        json={"accept": True, "reason": "Health data."},
        headers=commander.headers,
    )
    asked = client.post(
        f"/api/v1/incidents/{ref}/approvals",
        json={"phase": "containment", "title": "Isolate fs-02", "roles": ["legal"]},
        headers=commander.headers,
    ).json()
    client.post(
        f"/api/v1/incidents/{ref}/approvals/{asked['id']}/decisions",
        json={"role": "legal", "decision": "approve", "rationale": "Image taken first."},
        headers=personas["manager"].headers,
    )
    evidence = client.post(
        f"/api/v1/incidents/{ref}/evidence",
        json={"type": "laptop", "description": "The finance clerk's laptop, serial C02X1"},
        headers=admin.headers,
    )
    assert evidence.status_code == 201, evidence.text
    attached = client.post(
        f"/api/v1/incidents/{ref}/obligations",
        json={
            "key": "gdpr",
            "reason": "Personal data of EU residents",
            "trigger_at": clock.now().isoformat(),
        },
        headers=commander.headers,
    )
    assert attached.status_code == 201, attached.text
    client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={
            "title": "Segment the finance VLAN",
            "due_date": str((clock.now() + timedelta(days=7)).date()),
        },
        headers=commander.headers,
    )
    with db.transaction() as session:
        incident_id = int(ref.removeprefix("INC-"))
        session.add(
            PostMortem(
                incident_id=incident_id,
                status="published",
                title="Ransomware on fs-02",
                created_at=clock.now(),
                updated_at=clock.now(),
                published_at=clock.now(),
            )
        )
    return ref


def test_the_report_holds_each_incidents_record_and_maps_the_controls(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    ref = _story(client, personas, db, clock)
    declare(client, personas["responder"], title="Hidden", restricted=True)
    clock.advance(hours=5)
    day = clock.now().date()
    since = str(day - timedelta(days=1))
    response = client.get(
        "/api/v1/compliance/report",
        params={"since": since, "until": str(day)},
        headers=personas["manager"].headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert [i["ref"] for i in report["incidents"]] == [ref]  # the restricted one is not theirs
    incident = report["incidents"][0]
    assert incident["classification"]["decision"] == "confirmed"
    assert incident["approvals"][0]["decisions"][0]["rationale"] == "Image taken first."
    assert incident["evidence"][0]["type"] == "laptop"
    assert {n["stage"]: n["state"] for n in incident["notifications"]}[
        "Supervisory authority"
    ] == "open"
    assert incident["postmortem"]["status"] == "published"
    assert incident["action_items"][0]["title"] == "Segment the finance VLAN"
    kinds = [e["kind"] for e in incident["timeline"]]
    assert "declared" in kinds and "approval_decided" in kinds
    assert [c["ref"] for c in report["controls"]] == ["5.24", "5.25", "5.26", "5.27", "5.28", "6.8"]
    learning = next(c for c in report["controls"] if c["ref"] == "5.27")
    assert learning["evidence"][0] == "1 of 1 incident(s) have a published post-mortem."
    assert report["audit_chain"]["verified"] is True
    everything = client.get(
        "/api/v1/compliance/report", params={"since": since}, headers=personas["admin"].headers
    ).json()
    assert len(everything["incidents"]) == 2


def test_a_broken_chain_is_reported_and_bad_periods_are_refused(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    declare(client, personas["responder"])
    with db.transaction() as session:
        session.execute(text("UPDATE audit_events SET actor_name = 'Mallory' WHERE seq = 1"))
    report = client.get("/api/v1/compliance/report", headers=personas["admin"].headers).json()
    assert report["audit_chain"]["verified"] is False
    assert report["audit_chain"]["problem"].startswith("record 1:")
    bad = client.get(
        "/api/v1/compliance/report",
        params={"since": "last week"},
        headers=personas["admin"].headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "since"
    backwards = client.get(
        "/api/v1/compliance/report",
        params={"since": "2026-03-10", "until": "2026-03-01"},
        headers=personas["admin"].headers,
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "until"
    viewer = client.get("/api/v1/compliance/report", headers=personas["viewer"].headers)
    assert viewer.status_code == 403


def test_the_page_and_the_pdf(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    _story(client, personas, db, clock)
    sign_in(client, "admin@example.com")
    page = client.get("/compliance")
    assert page.status_code == 200 and "5.28" in page.text and "verified" in page.text
    pdf = client.get("/compliance/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["content-disposition"]
