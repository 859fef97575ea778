"""Alerts in Chromium: connect a source through the UI, watch its alert arrive
on the live list, acknowledge it; and the mapping "try it" box."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import LiveServer, Persona
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import sign_in

pytestmark = pytest.mark.browser


def add_services(server: LiveServer, manager: Persona) -> None:
    for slug, name in (("api", "API"), ("db", "Database")):
        response = httpx.post(
            f"{server.url}/api/v1/services",
            json={"slug": slug, "name": name},
            headers=manager.headers,
        )
        assert response.status_code == 201, response.text


def test_alert_arrives_live_and_is_acknowledged(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    add_services(live_server, personas["manager"])
    sign_in(page, live_server, "manager@example.com")

    page.goto(f"{live_server.url}/alerts/integrations")
    page.get_by_label("Service", exact=True).select_option(label="API")
    page.get_by_label("Kind", exact=True).select_option("pagerduty")
    page.get_by_label(re.compile(r"^Name")).fill("Checkout monitoring")
    page.get_by_role("button", name="Create integration").click()
    key = page.locator("#new-key").inner_text()
    assert len(key) == 32
    assert page.locator("#ingestion-url").inner_text() == f"{live_server.url}/v2/enqueue"
    assert key in page.locator("#setup-snippet").inner_text()

    page.goto(f"{live_server.url}/alerts")
    assert page.get_by_text("Nothing is firing").is_visible()
    page.evaluate("window.stillTheSamePage = true")
    sent = httpx.post(
        f"{live_server.url}/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "checkout-5xx",
            "payload": {
                "summary": "Checkout 5xx above 2%",
                "source": "web-1",
                "severity": "critical",
                "component": "payments",
            },
        },
    )
    assert sent.status_code == 202, sent.text
    link = page.get_by_role("link", name="AG-1 Checkout 5xx above 2%")
    link.wait_for(timeout=12_000)  # the list polls every 5 s
    assert page.evaluate("window.stillTheSamePage") is True  # no reload happened

    link.click()
    page.wait_for_url(f"{live_server.url}/alerts/AG-1")
    assert page.get_by_role("heading", name="Checkout 5xx above 2%").is_visible()
    assert page.locator("#group-status").inner_text() == "triggered"
    assert page.get_by_text("component=payments").is_visible()
    page.get_by_text("Raw payload").click()
    assert page.locator(".raw-payload pre").is_visible()

    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{live_server.url}/alerts/AG-1")
    assert page.locator("#group-status").inner_text() == "acknowledged"
    assert page.get_by_text("acknowledged by Manager").is_visible()
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alert-group-acknowledged.png"), full_page=True)
    assert page.problems == []  # no console errors, no CSP violations


def test_mapping_try_it_box_answers_in_place(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    add_services(live_server, personas["manager"])
    created = httpx.post(
        f"{live_server.url}/api/v1/integrations",
        json={"service": "db", "kind": "generic", "name": "cron webhook"},
        headers=personas["manager"].headers,
    ).json()
    sign_in(page, live_server, "manager@example.com")
    page.goto(f"{live_server.url}/alerts/integrations/{created['id']}")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("summary", exact=True).fill("job.name")
    page.get_by_label("Sample payload").fill(
        '{"job": {"name": "nightly backup failed"}, "id": "backup-1", "level": "error"}'
    )
    page.get_by_role("button", name="Try it").click()
    table = page.locator("#try-result #try-table")
    table.wait_for()
    assert "nightly backup failed" in table.inner_text() and "backup-1" in table.inner_text()

    page.get_by_label("summary", exact=True).fill("job.[[")
    page.get_by_role("button", name="Try it").click()
    page.locator("#try-error").wait_for()
    assert "mapping.summary" in page.locator("#try-error").inner_text()
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.problems == []
