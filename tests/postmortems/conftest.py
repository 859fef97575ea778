"""Helpers for post-mortem tests: declaring and resolving through the API, running the worker."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.worker import Worker
from tests.conftest import Persona


@pytest.fixture
def run_jobs(db: Database, clock: FixedClock, settings: Settings) -> Callable[[], int]:
    worker = Worker(db, clock, settings, rng=random.Random(1))

    def run() -> int:
        total = 0
        while (done := worker.run_once()) > 0:
            total += done
        return total

    return run


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
