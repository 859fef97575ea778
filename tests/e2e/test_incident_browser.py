"""An incident from declaration to closing, in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, Persona
from tests.e2e.test_browser import sign_in

pytestmark = pytest.mark.browser


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label(label, exact=True).select_option(label=option)


def test_declare_assign_progress_note_resolve_close(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/incidents")
    page.get_by_role("button", name="Declare an incident").click()
    page.get_by_label("What is happening?").fill("Checkout failing for card payments")
    choose(page, "Type", "Service outage")
    choose(page, "Severity", "SEV2: Major degradation")
    page.get_by_role("button", name="Declare").click()
    page.wait_for_url(f"{live_server.url}/incidents/INC-*")
    assert page.get_by_role("heading", name="Checkout failing for card payments").is_visible()

    choose(page, "Role", "Communications lead")
    choose(page, "Person", "Manager")
    page.get_by_role("button", name="Assign").click()
    assert page.get_by_text("Communications lead: Manager").is_visible()

    for state in ("investigating", "identified", "mitigated"):
        choose(page, "Move to", state)
        page.get_by_role("button", name="Change status").click()
        assert page.locator(".incident-head strong").inner_text() == state

    page.get_by_label("Add to the timeline").fill("Rolled back **payment-gateway** to 2024.9.2")
    page.get_by_role("button", name="Add note").click()
    assert page.locator(".timeline strong", has_text="payment-gateway").is_visible()

    choose(page, "Move to", "resolved")
    page.get_by_role("button", name="Change status").click()
    assert page.get_by_text("Resolution SLA").is_visible()
    assert page.locator(".clock-met").count() == 2  # both clocks stopped in time
    choose(page, "Move to", "closed")
    page.get_by_role("button", name="Change status").click()
    assert page.locator(".incident-head strong").inner_text() == "closed"
    assert page.get_by_role("button", name="Change status").is_disabled()
    events = page.locator(".timeline .event").count()
    # declared, the outage playbook started with its first two tasks (assess, and the
    # status page for SEV2), role, three moves, note, resolved, closed
    assert events == 11
    assert page.problems == []


def test_timeline_updates_without_a_reload(
    page, live_server: LiveServer, personas: dict[str, Persona], client
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "responder@example.com")
    headers = personas["manager"].headers
    created = client.post(
        "/api/v1/incidents",
        json={"title": "Live one", "type": "degradation", "severity": "3"},
        headers=headers,
    ).json()
    page.goto(f"{live_server.url}/incidents/{created['ref']}")
    client.post(
        f"/api/v1/incidents/{created['ref']}/notes",
        json={"body": "written elsewhere"},
        headers=headers,
    )
    page.get_by_text("written elsewhere").wait_for(timeout=12_000)
