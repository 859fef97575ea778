"""The incident page's security forms: classify and decide, approvals, confidential notes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.security.decisions.test_decisions_api import _security_incident
from tests.web.helpers import page_token, sign_in


def test_classify_decide_and_approve_from_the_incident_page(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = _security_incident(client, personas)
    sign_in(client, "responder@example.com")
    page = f"/incidents/{ref}"
    assert "Not classified yet" in client.get(page).text
    token = page_token(client, page)

    bad = client.post(
        f"{page}/classification",
        data={"csrf_token": token, "functional": "high", "records": "lots"},
    )
    assert bad.status_code == 422 and "whole number" in bad.text
    classified = client.post(
        f"{page}/classification",
        data={
            "csrf_token": token,
            "functional": "medium",
            "information": ["privacy"],
            "data": ["personal"],
            "people": "1,200",
            "jurisdictions": "de, fr",
        },
        follow_redirects=False,
    )
    assert classified.status_code == 303 and classified.headers["location"].endswith(
        "#classification"
    )
    shown = client.get(page).text
    assert 'id="suggested-severity"' in shown and "GDPR Art. 33/34" in shown
    decided = client.post(
        f"{page}/classification/decision",
        data={"csrf_token": token, "accept": "no", "severity": "SEV1", "reason": "Board asked"},
    )
    assert decided.status_code == 200 and "Overridden: SEV1" in decided.text

    asked = client.post(
        f"{page}/approvals",
        data={
            "csrf_token": token,
            "phase": "recovery",
            "title": "Restore fs-02 from Sunday's backup",
            "roles": ["incident_commander"],
        },
    )
    assert "Restore fs-02 from Sunday&#39;s backup" in asked.text
    approval_id = asked.text.split('id="approval-')[1].split('"')[0]
    approved = client.post(
        f"{page}/approvals/{approval_id}/decide",
        data={
            "csrf_token": token,
            "role": "incident_commander",
            "decision": "approve",
            "rationale": "Clean",
        },
    )
    assert "Mark carried out" in approved.text
    no_outcome = client.post(
        f"{page}/approvals/{approval_id}/carried-out", data={"csrf_token": token, "outcome": ""}
    )
    assert no_outcome.status_code == 422
    missing = client.post(
        f"{page}/approvals/999999/withdraw", data={"csrf_token": token, "reason": "x"}
    )
    assert missing.status_code == 404


def test_confidential_notes_on_the_page(client: TestClient, personas: dict[str, Persona]) -> None:
    ref = _security_incident(client, personas)
    sign_in(client, "responder@example.com")
    page = f"/incidents/{ref}"
    token = page_token(client, page)
    client.post(
        f"{page}/confidential-notes",
        data={"csrf_token": token, "body": "Outside counsel engaged", "roles": ["legal"]},
    )
    client.cookies.clear()
    sign_in(client, "manager@example.com")
    assert "Outside counsel engaged" in client.get(page).text
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    seen = client.get(page).text
    assert "Outside counsel engaged" not in seen and "Only Legal may read this note" in seen
    assert "Ask for approval" not in seen  # viewers do not act
