"""Fixtures for the alert tests: a service, integrations made through the API,
and a worker that runs due jobs on the test clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from fireline.alerts import service as alert_service
from fireline.alerts.models import AlertGroup
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.catalog import service as catalog
from fireline.core.audit import Actor
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.core.migrate import upgrade
from tests.conftest import Persona

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def services(client: TestClient, personas: dict[str, Persona]) -> list[str]:
    for slug in ("api", "db"):
        response = client.post(
            "/api/v1/services",
            json={"slug": slug, "name": slug.upper()},
            headers=personas["manager"].headers,
        )
        assert response.status_code == 201, response.text
    return ["api", "db"]


def numbered_alert(n: int) -> AlertIn:
    """A firing alert of its own dedup key, for tests that send many."""
    return AlertIn(
        dedup_key=f"disk-{n}",
        action=Action.trigger,
        severity=Severity.warning,
        summary=f"disk {n} filling",
        labels={"instance": f"db-{n}"},
    )


def database_with_pagerduty(url: str) -> tuple[Database, int, str]:
    """A migrated database with one service and one PagerDuty integration:
    the database, the integration's id and its key's hash."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    db = Database(url)
    upgrade(db.engine)
    with db.transaction() as session:
        catalog.create_service(session, actor=Actor.system("t"), now=now, slug="db", name="DB")
        integration, _ = alert_service.create_integration(
            session,
            actor=Actor.system("t"),
            now=now,
            spec=alert_service.IntegrationSpec(service="db", kind="pagerduty", name="pd"),
        )
        return db, integration.id, integration.key_hash


MakeIntegration = Callable[..., dict[str, Any]]


@pytest.fixture
def make_integration(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> MakeIntegration:
    def make(kind: str, service: str = "api", **extra: Any) -> dict[str, Any]:
        response = client.post(
            "/api/v1/integrations",
            json={"service": service, "kind": kind, **extra},
            headers=personas["manager"].headers,
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


def groups(db: Database) -> list[AlertGroup]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AlertGroup).options(joinedload(AlertGroup.service)).order_by(AlertGroup.id)
            )
        )


def jobs_of(db: Database, kind: str) -> list[Job]:
    with db.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))
