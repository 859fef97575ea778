"""Running the status page in Chromium: a public update posted from an
incident's page shows on the status page's overview."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fireline.comms.status import components, service
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.deps import Principal
from fireline.people.models import Role
from tests.conftest import LiveServer, Persona
from tests.e2e.test_browser import sign_in

pytestmark = pytest.mark.browser


def make_components(client, db: Database, clock: FixedClock, manager: Persona) -> None:  # type: ignore[no-untyped-def]
    """A checkout service, and components API (standing for it) and Docs."""
    created = client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=manager.headers
    )
    assert created.status_code == 201, created.text
    assert manager.user_id is not None and manager.email is not None
    principal = Principal(manager.user_id, manager.email, "Manager", Role.manager, "UTC", "token")
    with db.transaction() as session:
        group = components.create_group(session, principal, clock.now(), name="Core")
        components.create_component(
            session, principal, clock.now(), name="API", group=group.id, services=["checkout"]
        )
        components.create_component(session, principal, clock.now(), name="Docs")


def test_public_update_from_an_incident_shows_on_the_status_page(
    page, live_server: LiveServer, personas: dict[str, Persona], client, db, clock
) -> None:  # type: ignore[no-untyped-def]
    manager = personas["manager"]
    make_components(client, db, clock, manager)
    incident = client.post(
        "/api/v1/incidents",
        json={
            "title": "Payments failing",
            "type": "outage",
            "severity": "2",
            "services": ["checkout"],
        },
        headers=manager.headers,
    ).json()

    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/incidents/{incident['ref']}")
    assert page.get_by_text("Nothing published about this incident yet").is_visible()
    page.get_by_text("Publish to the status page").click()
    # The component standing for the incident's service is listed first.
    first = page.locator("#public-update .component-statuses label").first
    assert first.inner_text().startswith("API")
    page.get_by_label("Public title").fill("Card payments failing")
    page.get_by_label("Public status").select_option("identified")
    page.get_by_label("Message to customers").fill("Some card payments fail; we are on it.")
    page.get_by_label("API").select_option("partial_outage")
    page.get_by_role("button", name="Post public update").click()

    page.wait_for_url(f"{live_server.url}/incidents/{incident['ref']}*")
    latest = page.locator("#public-latest")
    assert "Some card payments fail; we are on it." in latest.inner_text()
    assert "Card payments failing" in latest.inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Status page").click()
    page.wait_for_url(f"{live_server.url}/statuspage")
    assert page.locator("#overall").inner_text().startswith("Partial System Outage")
    assert page.get_by_label("Status of API").input_value() == "partial_outage"
    assert page.get_by_label("Status of Docs").input_value() == "operational"
    assert page.get_by_role("link", name="Card payments failing").is_visible()

    # A select posts as soon as it changes, and the overview follows in place.
    page.get_by_label("Status of Docs").select_option("major_outage")
    page.locator("#overall", has_text="Major System Outage").wait_for()
    page.reload()
    assert page.get_by_label("Status of Docs").input_value() == "major_outage"
    assert page.problems == []  # no console errors, no CSP violations


def test_a_template_fills_the_open_form_in_place(
    page, live_server: LiveServer, personas: dict[str, Persona], client, db, clock
) -> None:  # type: ignore[no-untyped-def]
    manager = personas["manager"]
    make_components(client, db, clock, manager)
    assert manager.user_id is not None and manager.email is not None
    principal = Principal(manager.user_id, manager.email, "Manager", Role.manager, "UTC", "token")
    with db.transaction() as session:
        service.create_template(
            session,
            principal,
            clock.now(),
            name="Slow API",
            status="identified",
            title="API responses are slow",
            body="We found the cause.",
        )
    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/statuspage/incidents/new")
    page.get_by_label("Start from a template").select_option(label="Slow API")
    # Filled through htmx: the form changes without a page load.
    expect(page.get_by_label("Title")).to_have_value("API responses are slow")
    assert page.url == f"{live_server.url}/statuspage/incidents/new"
    assert page.get_by_label("Message").input_value() == "We found the cause."
    page.get_by_label("API").select_option("degraded_performance")
    page.get_by_role("button", name="Open public incident").click()
    page.wait_for_url(f"{live_server.url}/statuspage/incidents/*")
    assert page.get_by_role("heading", name="API responses are slow").is_visible()
    assert page.locator("#public-status").inner_text() == "Identified"
    assert page.problems == []
