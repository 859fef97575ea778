"""The assessment from real data through the API and the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from tests.conftest import Persona
from tests.incidents.test_api import declare
from tests.web.helpers import page_token, sign_in


def area(body: dict, key: str) -> dict:  # type: ignore[type-arg]
    return next(a for a in body["areas"] if a["area"] == key)


def test_signals_come_from_incidents_the_caller_may_see_and_skip_exercises(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"]
    public = [declare(client, responder, severity="2").json()["ref"] for _ in range(3)]
    declare(client, responder, severity="2", restricted=True, title="Secret")
    clock.advance(minutes=20)
    for ref in public:
        client.post(
            f"/api/v1/incidents/{ref}/status",
            json={"status": "resolved"},
            headers=responder.headers,
        )
    seen_by_outsider = client.get("/api/v1/maturity", headers=personas["outsider"].headers).json()
    seen_by_admin = client.get("/api/v1/maturity", headers=personas["admin"].headers).json()
    # The outsider sees three incidents, resolved in time; the admin four, one still open.
    assert seen_by_outsider["signals"]["median_mttr_hours"] is not None
    assert seen_by_outsider["signals"]["resolution_sla_met"] == 1.0
    assert seen_by_admin["signals"]["commander_share"] == 1.0
    assert seen_by_admin["signals"]["postmortem_published_share"] == 0.0
    # Too few to measure: no security incidents at all.
    assert seen_by_admin["signals"]["security_classified_share"] is None
    assert seen_by_admin["overall"] == {"level": 1, "name": "Ad hoc"}
    learning = area(seen_by_admin, "learning")
    assert learning["next_milestones"] == [
        "Answered yes: Are post-mortems blameless and shared beyond the team involved?"
    ]


def test_managers_answer_and_the_levels_follow(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    manager = personas["manager"]
    answered = client.put(
        "/api/v1/maturity/answers",
        json={"answers": {"commander_named": True, "severity_definitions": True}},
        headers=manager.headers,
    )
    assert answered.status_code == 200, answered.text
    triage = area(answered.json(), "triage")
    assert triage["level"] == 2  # level 3 also needs incidents with a commander, measured
    for _ in range(3):
        declare(client, personas["responder"], severity="3")
    clock.advance(minutes=1)
    now_triage = area(client.get("/api/v1/maturity", headers=manager.headers).json(), "triage")
    # Commanders named by people answer the response clock at once: measured, and met.
    assert now_triage["level"] == 5
    evidence = {e["criterion"]: e["evidence"] for e in now_triage["evidence"]}
    assert evidence["Incidents with a commander: at least 90%"] == "measured 100%"
    refused = client.put(
        "/api/v1/maturity/answers",
        json={"answers": {"commander_named": False}},
        headers=personas["responder"].headers,
    )
    assert refused.status_code == 403
    unknown = client.put(
        "/api/v1/maturity/answers", json={"answers": {"vibes": True}}, headers=manager.headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "answers.vibes"
    not_bool = client.put(
        "/api/v1/maturity/answers",
        json={"answers": {"exercises": "often"}},
        headers=manager.headers,
    )
    assert not_bool.status_code == 422


def test_the_page_the_questionnaire_and_the_printable_report(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "manager@example.com")
    page = client.get("/maturity")
    assert page.status_code == 200 and "Overall: <strong>level 1, Ad hoc</strong>" in page.text
    token = page_token(client, "/maturity")
    saved = client.post(
        "/maturity",
        data={"csrf_token": token, "q_monitoring_alerts": "yes", "q_runbooks": "no"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = client.get("/maturity").text
    assert 'id="area-detection"' in after and "level 2: Repeatable" in after
    report = client.get("/maturity/report")
    assert report.status_code == 200 and "incident response maturity" in report.text
    assert "<h2>Detection: level 2, Repeatable</h2>" in report.text
    pdf = client.get("/maturity/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    assert "Save answers" not in client.get("/maturity").text
