"""The insights page in a real browser (Debian's Chromium): a filter changed,
the charts drawn again from the new numbers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from tests.conftest import LiveServer, Persona
from tests.e2e.test_browser import sign_in
from tests.insights.conftest import catalogue, incident

__all__ = ["catalogue"]
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("catalogue")]


def test_change_a_filter_and_the_charts_are_redrawn(
    page: Any, live_server: LiveServer, personas: dict[str, Persona], clock: FixedClock
) -> None:
    client = TestClient(live_server.app)  # type: ignore[arg-type]
    responder = personas["responder"]
    incident(client, clock, responder, severity="SEV1", resolve_after=50)
    incident(client, clock, responder, severity="SEV3", service="checkout", title="Slow basket")
    incident(client, clock, responder, severity="SEV3", title="Replica lag", resolve_after=300)
    sign_in(page, live_server, "viewer@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    columns = page.get_by_role("img", name="Incidents per week, by severity", exact=False)
    assert "Mar 02: 3" in (columns.get_attribute("aria-label") or "")
    resolve = page.get_by_role("img", name="Time to resolve per week", exact=False)
    assert resolve.locator("line[stroke-dasharray]").count() == 1
    assert "DORA elite: under 1 hour (DORA, Accelerate State of DevOps Report, 2023)" in (
        resolve.locator("line[stroke-dasharray] title").text_content() or ""
    )
    assert page.locator("figcaption", has_text="DORA elite: under 1 hour").is_visible()

    page.locator("#insights-filters select[name=severity]").select_option("SEV3")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**severity=SEV3**")
    columns = page.get_by_role("img", name="Incidents per week, by severity", exact=False)
    assert "Mar 02: 2" in (columns.get_attribute("aria-label") or "")
    # One SEV3 column segment now, with its tooltip.
    assert columns.locator("rect title").all_text_contents() == ["Mar 02: 2 SEV3"]
    assert (
        page.locator("#insights-headlines tr[data-metric='incidents'] td").first.inner_text() == "2"
    )
    assert page.problems == []
