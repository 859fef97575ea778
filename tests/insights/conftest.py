"""Incidents with known timings, declared through the API as people would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fireline.catalog import service as catalog
from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.people import service as people
from tests.conftest import Persona

ACTOR = Actor.system("tests")


@pytest.fixture
def catalogue(db: Database, clock: FixedClock, personas: dict[str, Persona]) -> None:
    """Two teams, each owning a service; the responder is on the platform team."""
    with db.transaction() as session:
        now = clock.now()
        platform = people.create_team(
            session, actor=ACTOR, now=now, slug="platform", name="Platform"
        )
        people.create_team(session, actor=ACTOR, now=now, slug="payments", name="Payments")
        responder = people.find_user(session, "responder@example.com")
        people.add_member(session, actor=ACTOR, now=now, team=platform, user=responder)
        catalog.create_service(
            session, actor=ACTOR, now=now, slug="database", name="Database", owner_team="platform"
        )
        catalog.create_service(
            session, actor=ACTOR, now=now, slug="checkout", name="Checkout", owner_team="payments"
        )


def incident(
    client: TestClient,
    clock: FixedClock,
    persona: Persona,
    *,
    severity: str = "SEV2",
    service: str = "database",
    title: str = "Database connection pool exhausted",
    started_minutes_ago: float = 10,
    detected_after: float | None = None,
    ack_after: float | None = None,
    resolve_after: float | None = None,
    restricted: bool = False,
) -> str:
    """Declared now, started ``started_minutes_ago``; the other times in minutes
    after the declaration (detection: after the start). The clock ends at the
    last milestone."""
    declared_at = clock.now()
    started_at = declared_at - timedelta(minutes=started_minutes_ago)
    response = client.post(
        "/api/v1/incidents",
        json={
            "title": title,
            "type": "service_outage",
            "severity": severity,
            "services": [service],
            "started_at": started_at.isoformat(),
            "restricted": restricted,
        },
        headers=persona.headers,
    )
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]

    def milestone(name: str, at: object) -> None:
        answer = client.post(
            f"/api/v1/incidents/{ref}/milestones",
            json={"milestone": name, "at": at, "reason": "from the paging log"},
            headers=persona.headers,
        )
        assert answer.status_code == 200, answer.text

    if detected_after is not None:
        milestone("detected", (started_at + timedelta(minutes=detected_after)).isoformat())
    if ack_after is not None:
        clock.set(declared_at + timedelta(minutes=ack_after))
        milestone("acknowledged", clock.now().isoformat())
    if resolve_after is not None:
        clock.set(declared_at + timedelta(minutes=resolve_after))
        answer = client.post(
            f"/api/v1/incidents/{ref}/status", json={"status": "resolved"}, headers=persona.headers
        )
        assert answer.status_code == 200, answer.text
    return ref
