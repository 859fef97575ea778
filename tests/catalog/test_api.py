"""The service catalogue API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona


def test_manager_creates_service_owned_by_team(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    manager = personas["manager"].headers
    client.post("/api/v1/teams", json={"slug": "payments", "name": "Payments"}, headers=manager)
    body = {
        "slug": "checkout",
        "name": "Checkout",
        "owner_team": "payments",
        "tier": 1,
        "runbook_url": "https://wiki.example.com/checkout",
    }
    response = client.post("/api/v1/services", json=body, headers=manager)
    assert response.status_code == 201, response.text
    assert response.json()["owner_team"] == "payments"
    listed = client.get("/api/v1/services", headers=personas["viewer"].headers).json()
    assert [s["slug"] for s in listed] == ["checkout"]


def test_bad_service_fields_are_named(client: TestClient, personas: dict[str, Persona]) -> None:
    manager = personas["manager"].headers
    cases = [
        ({"slug": "x", "name": "X", "tier": 9}, "tier"),
        ({"slug": "x", "name": "X", "runbook_url": "ftp://x"}, "runbook_url"),
        ({"slug": "x", "name": "X", "owner_team": "nobody"}, None),
    ]
    for body, field in cases:
        response = client.post("/api/v1/services", json=body, headers=manager)
        assert 400 <= response.status_code < 500, body
        assert response.json()["error"]["field"] == field, body
    assert client.get("/api/v1/services", headers=manager).json() == []
