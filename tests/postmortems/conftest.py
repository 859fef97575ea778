"""Helpers for post-mortem tests: declaring and resolving through the API, running the worker."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Persona


def declare(client: TestClient, who: Persona, severity: str = "SEV2", **extra: Any) -> str:
    body = {"title": "Checkout returns 502", "type": "service_outage", "severity": severity}
    response = client.post("/api/v1/incidents", json={**body, **extra}, headers=who.headers)
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]
    return ref


def resolve(client: TestClient, ref: str, who: Persona) -> None:
    for status in ("investigating",):
        moved = client.post(
            f"/api/v1/incidents/{ref}/status", json={"status": status}, headers=who.headers
        )
        assert moved.status_code == 200, moved.text
    done = client.post(f"/api/v1/incidents/{ref}/resolve", json={}, headers=who.headers)
    assert done.status_code == 200, done.text


def timeline_kinds(client: TestClient, ref: str, who: Persona) -> list[str]:
    events = client.get(f"/api/v1/incidents/{ref}/timeline", headers=who.headers).json()
    return [e["kind"] for e in events]
