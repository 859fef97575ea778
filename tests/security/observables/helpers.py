"""Declaring incidents and adding observables through the API, for the tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Persona


def declare(client: TestClient, persona: Persona, **fields: Any) -> str:
    body = {"title": "Leaked cloud key", "type": "leaked_credential", "severity": "2", **fields}
    response = client.post("/api/v1/incidents", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]
    return ref


def add(client: TestClient, persona: Persona, ref: str, **body: Any) -> Any:
    return client.post(f"/api/v1/incidents/{ref}/observables", json=body, headers=persona.headers)


def listed(client: TestClient, persona: Persona, ref: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/incidents/{ref}/observables", headers=persona.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def timeline(client: TestClient, persona: Persona, ref: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/incidents/{ref}/timeline", headers=persona.headers)
    events: list[dict[str, Any]] = response.json()
    return events
