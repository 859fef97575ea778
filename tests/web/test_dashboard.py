"""The dashboard: what needs attention first, from the same queries as the lists it links to."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline import demo
from fireline.alerts import queries as alert_queries
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.oncall import contacts
from fireline.oncall.models import Page, Schedule
from tests.conftest import Persona
from tests.web.helpers import sign_in


def test_a_quiet_organisation_says_so(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "viewer@example.com")
    page = client.get("/").text
    assert "No open incidents" in page
    assert "<strong>0</strong> triggered" in page and "No alert group is waiting" in page
    assert "Nobody is being paged" in page and "No schedules yet" in page
    assert "cannot be reached" not in page


def test_firing_alerts_pages_and_who_is_on_call(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    run_jobs: Callable[[], int],
) -> None:
    with db.transaction() as session:
        demo.seed(session, now=clock.now(), password="a demo password")
    run_jobs()  # the demo's firing alerts page their on-call people
    sign_in(client, "responder@example.com")
    page = client.get("/").text
    with db.session() as session:
        counts = alert_queries.open_counts(session)
        firing = alert_queries.list_groups(
            session, alert_queries.GroupFilter(status="triggered", limit=5)
        )
        paged = session.scalars(select(Page).where(Page.status == "active")).all()
        schedules = session.scalars(select(Schedule)).all()
        unreachable = len(contacts.reachability_warnings(session))
    assert firing and paged and schedules, "the demo has firing alerts, pages and schedules"
    for status in ("triggered", "acknowledged", "silenced"):
        assert f"<strong>{counts.get(status, 0)}</strong> {status}" in page
    for group in firing:
        assert f'href="/alerts/{group.ref}"' in page
    for row in paged:
        assert escape(row.title) in page
    for schedule in schedules:
        assert f'href="/oncall/schedules/{schedule.slug}"' in page
    assert "cannot be worked out" not in page
    assert unreachable, "the demo has someone nobody can reach"
    person = "person" if unreachable == 1 else "people"
    assert f"{unreachable} {person} on call or in a policy cannot be reached" in page
