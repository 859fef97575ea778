"""Helpers for the obligation tests: incidents declared through the API, and
obligations attached the way a client attaches them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Persona

Personas = dict[str, Persona]
# A classification's values as the classification feature records them.
CLASSIFIED: dict[str, Any] = {
    "functional": "high",
    "information": ["privacy"],
    "recoverability": "supplemented",
    "data": ["personal", "health"],
    "records": 120000,
    "people": 48000,
    "jurisdictions": ["DE", "US-CA"],
}


def declare(
    client: TestClient,
    who: Persona,
    *,
    type: str = "ransomware",
    severity: str = "SEV2",
    **extra: Any,
) -> str:
    response = client.post(
        "/api/v1/incidents",
        headers=who.headers,
        json={"title": "File server encrypted", "type": type, "severity": severity, **extra},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


def attach(client: TestClient, who: Persona, ref: str, key: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/incidents/{ref}/obligations",
        headers=who.headers,
        json={"key": key, "reason": "personal data of EU customers", **body},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def stages(obligation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {stage["key"]: stage for stage in obligation["stages"]}


@pytest.fixture
def ref(client: TestClient, personas: Personas) -> str:
    return declare(client, personas["responder"])
