"""Exercise tests: the demo catalog's services exist (built-in scenarios
name them), a worker delivers the injects, and helpers start runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.catalog import service as catalog
from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.conftest import Persona

SERVICES = ("api-gateway", "postgres-main", "checkout", "auth")


@pytest.fixture
def services(db: Database, clock: FixedClock) -> list[str]:
    with db.transaction() as session:
        for slug in SERVICES:
            catalog.create_service(
                session, actor=Actor.system("tests"), now=clock.now(), slug=slug, name=slug.title()
            )
    return list(SERVICES)


@pytest.fixture
def start(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> Callable[..., dict[str, Any]]:
    def run(scenario: str = "ransomware-tabletop", **fields: Any) -> dict[str, Any]:
        response = client.post(
            "/api/v1/exercises/runs",
            json={"scenario": scenario, **fields},
            headers=personas["manager"].headers,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return run
