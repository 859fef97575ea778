"""Playbooks running on incidents through the API: tasks in order, approvals
before steps, skipping with a reason, running another by hand, figures."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.incidents.test_api import declare


def runs(client: TestClient, ref: str, persona: Persona) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/incidents/{ref}/playbooks", headers=persona.headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def step(run: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in run["steps"] if s["key"] == key)


def close_task(client: TestClient, ref: str, task_id: int, persona: Persona, status: str = "done"):  # type: ignore[no-untyped-def]
    return client.patch(
        f"/api/v1/incidents/{ref}/tasks/{task_id}", json={"status": status}, headers=persona.headers
    )


def test_declaring_starts_the_playbooks_for_the_type_and_severity(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, type="ransomware", severity="2").json()["ref"]
    [run] = runs(client, ref, personas["viewer"])
    assert run["playbook"] == "ransomware" and not run["by_hand"]
    assert step(run, "scope")["status"] == "open"
    assert all(s["status"] == "pending" for s in run["steps"][1:])
    tasks = client.get(f"/api/v1/incidents/{ref}/tasks", headers=responder.headers).json()
    assert [(t["title"], t["role"]) for t in tasks] == [
        ("Identify affected hosts, accounts and the ransomware family", "security_lead")
    ]
    outage = declare(client, responder, type="service_outage", severity="4").json()["ref"]
    [outage_run] = runs(client, outage, responder)
    # The status-page step is for SEV1 and SEV2 only.
    assert step(outage_run, "status-page")["status"] == "not_applicable"
    assert declare(client, responder, type="degradation").status_code == 201


def test_steps_follow_their_dependencies_and_approvals(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    commander, legal = personas["responder"], personas["manager"]
    ref = declare(client, commander, type="ransomware", severity="1").json()["ref"]
    client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "legal", "user": "manager@example.com"},
        headers=commander.headers,
    )
    [run] = runs(client, ref, commander)
    assert close_task(client, ref, step(run, "scope")["task_id"], commander).status_code == 200

    [run] = runs(client, ref, commander)
    isolate = step(run, "isolate")
    assert isolate["status"] == "awaiting_approval" and isolate["approval_id"]
    for key in ("preserve", "disable-accounts", "notify-counsel"):
        assert step(run, key)["status"] == "open", key
    assert step(run, "eradicate")["status"] == "pending"
    early = close_task(client, ref, isolate["task_id"], commander)
    assert early.status_code == 409 and "approval" in early.json()["error"]["message"]

    approvals = client.get(f"/api/v1/incidents/{ref}/approvals", headers=commander.headers).json()
    assert approvals[0]["required_roles"] == ["incident_commander", "legal"]
    url = f"/api/v1/incidents/{ref}/approvals/{isolate['approval_id']}/decisions"
    for persona, role in ((commander, "incident_commander"), (legal, "legal")):
        decided = client.post(
            url,
            json={"role": role, "decision": "approve", "rationale": "Spread must stop."},
            headers=persona.headers,
        )
        assert decided.status_code == 200, decided.text
    [run] = runs(client, ref, commander)
    assert step(run, "isolate")["status"] == "running"  # its EDR request is queued

    # A person does the automated step by hand instead: that settles it too.
    assert close_task(client, ref, step(run, "isolate")["task_id"], commander).status_code == 200
    for key in ("preserve", "disable-accounts"):
        close_task(client, ref, step(run, key)["task_id"], commander)
    [run] = runs(client, ref, commander)
    assert step(run, "eradicate")["status"] == "open"
    assert 0 < run["percent"] < 100


def test_skipping_needs_a_reason_and_lets_what_waits_go_on(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, type="leaked_credential", severity="3").json()["ref"]
    [run] = runs(client, ref, responder)
    url = f"/api/v1/incidents/{ref}/playbooks/{run['id']}/steps/identify/skip"
    blank = client.post(url, json={"reason": "  "}, headers=responder.headers)
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "reason"
    skipped = client.post(
        url,
        json={"reason": "Scanner report names key, owner and scope."},
        headers=responder.headers,
    )
    assert skipped.status_code == 200, skipped.text
    run = skipped.json()
    assert step(run, "identify")["status"] == "skipped"
    assert step(run, "identify")["note"] == "Scanner report names key, owner and scope."
    assert step(run, "remove-exposure")["status"] == "open"
    again = client.post(url, json={"reason": "again"}, headers=responder.headers)
    assert again.status_code == 409
    tasks = client.get(f"/api/v1/incidents/{ref}/tasks", headers=responder.headers).json()
    assert tasks[0]["status"] == "cancelled"
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder.headers).json()
    assert "playbook_step_skipped" in [e["kind"] for e in timeline]
    missing = client.post(
        f"/api/v1/incidents/{ref}/playbooks/{run['id']}/steps/nope/skip",
        json={"reason": "x"},
        headers=responder.headers,
    )
    assert missing.status_code == 404


def test_another_playbook_by_hand_once_and_the_figures(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, type="phishing", severity="3").json()["ref"]
    started = client.post(
        f"/api/v1/incidents/{ref}/playbooks",
        json={"playbook": "leaked-credential"},
        headers=responder.headers,
    )
    assert started.status_code == 201 and started.json()["by_hand"]
    twice = client.post(
        f"/api/v1/incidents/{ref}/playbooks",
        json={"playbook": "leaked-credential"},
        headers=responder.headers,
    )
    assert twice.status_code == 409
    unknown = client.post(
        f"/api/v1/incidents/{ref}/playbooks", json={"playbook": "nope"}, headers=responder.headers
    )
    assert unknown.status_code == 404 and "leaked-credential" in unknown.json()["error"]["message"]
    viewer = client.post(
        f"/api/v1/incidents/{ref}/playbooks",
        json={"playbook": "ddos"},
        headers=personas["viewer"].headers,
    )
    assert viewer.status_code == 403

    [phishing, _] = runs(client, ref, responder)
    close_task(client, ref, step(phishing, "analyse")["task_id"], responder)
    shown = client.get("/api/v1/playbooks/phishing", headers=responder.headers).json()
    assert shown["figures"]["runs"] == 1
    analyse = next(s for s in shown["figures"]["steps"] if s["key"] == "analyse")
    assert (analyse["reached"], analyse["done"]) == (1, 1)
    assert analyse["median_seconds"] == 0  # the fixed clock did not move
