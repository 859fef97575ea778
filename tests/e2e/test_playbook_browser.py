"""Playbooks and the security decisions in a real browser (Debian's Chromium)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import LiveServer, Persona
from tests.e2e.test_browser import sign_in
from tests.incidents.test_api import declare

pytestmark = pytest.mark.browser


def test_edit_a_playbook_with_errors_shown_by_line(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "admin@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playbooks").click()
    page.get_by_role("link", name="Phishing", exact=True).click()
    assert page.get_by_role(
        "heading", name="Analyse the message and extract its indicators"
    ).is_visible()
    page.get_by_role("button", name="Edit").click()
    source = page.get_by_label("Playbook")
    text = source.input_value()
    source.fill(text.replace("phase: analysis", "phase: analysys", 1))
    page.get_by_role("button", name="Save").click()
    problems = page.locator("#playbook-problems")
    assert "unknown phase 'analysys'; did you mean 'analysis'?" in problems.inner_text()
    assert "line " in problems.inner_text()
    page.get_by_label("Playbook").fill(text.replace("name: Phishing", "name: Phishing (ours)"))
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("heading", name="Phishing (ours)").is_visible()
    # The refused form came back as a 422, which Chromium reports on the console.
    assert [p for p in page.problems if "status of 422" not in p] == []


def test_a_run_and_a_classification_on_the_incident_page(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(live_server.app)  # type: ignore[arg-type]
    ref = declare(client, personas["responder"], type="ransomware", severity="3").json()["ref"]
    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/incidents/{ref}")
    run = page.locator(".playbook-run")
    assert "Ransomware" in run.locator("header").inner_text()
    step = page.locator("#run-1-scope")
    step.get_by_text("Skip", exact=True).click()
    step.get_by_placeholder("Why skip it").fill("EDR console already shows the scope")
    step.get_by_role("button", name="Skip step").click()
    assert "skipped" in page.locator("#run-1-scope .badge").inner_text()
    assert page.locator("#run-1-isolate .badge").inner_text() == "awaiting approval"

    page.get_by_label("Functional impact").select_option("medium")
    page.get_by_label("personal", exact=True).check()
    page.get_by_label("Jurisdictions").fill("DE")
    page.get_by_role("button", name="Save classification").click()
    assert "SEV2" in page.locator("#suggested-severity").inner_text()
    assert page.get_by_text("GDPR Art. 33/34").first.is_visible()
    page.locator("#decision-reason").fill("Payroll share encrypted")
    page.get_by_role("button", name="Decide").click()
    assert "Confirmed: SEV2" in page.locator("#classification-decision").inner_text()
    assert page.problems == []
