"""The public status page in Chromium on a phone: it renders without a login,
says what is wrong, draws 90 days per uptime bar, and never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fireline.comms.status import service
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.comms.status.test_statuspage_api import Page, build_page, principal
from tests.conftest import LiveServer, Persona
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def status_page(db: Database, clock: FixedClock, personas: dict[str, Persona]) -> Page:
    found = build_page(db, clock, principal(personas["admin"]))
    with db.transaction() as s:
        # A long unbroken word must wrap, not widen the page.
        service.post_update(
            s,
            principal(personas["admin"]),
            clock.now(),
            service.find_public_incident(s, found.incident),
            status="monitoring",
            body="Rolled back; watching https://example.com/" + "a" * 120,
        )
    return found


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.problems = problems  # type: ignore[attr-defined]
    request.node.browser_page = opened
    yield opened
    context.close()


def test_the_status_page_on_a_phone(phone, live_server: LiveServer, status_page: Page) -> None:  # type: ignore[no-untyped-def]
    phone.goto(f"{live_server.url}/status")
    assert phone.locator("#overall").inner_text() == "Major System Outage"
    assert phone.get_by_role("heading", name="Active incidents").is_visible()
    assert phone.get_by_role("link", name="API errors").is_visible()
    assert phone.get_by_role("link", name="Subscribe to updates").is_visible()
    bar = phone.locator(f"#component-{status_page.api} .bar")
    assert bar.locator(".day").count() == 90
    assert bar.locator(".day").last.get_attribute("class") == "day day-major_outage"
    box = bar.bounding_box()
    assert box is not None and box["width"] > 250 and box["x"] + box["width"] <= PHONE["width"]
    # The brand stylesheet applied: the banner is coloured, not transparent.
    banner = phone.locator(".banner").evaluate("e => getComputedStyle(e).backgroundColor")
    assert banner not in ("rgba(0, 0, 0, 0)", "transparent")
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths  # no horizontal scroll
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "status-page-phone.png"), full_page=True)
    assert phone.problems == []  # no CSP violations, nothing failed to load


def test_a_group_collapses_and_an_incident_opens(
    phone, live_server: LiveServer, status_page: Page
) -> None:  # type: ignore[no-untyped-def]
    phone.goto(f"{live_server.url}/status")
    group = phone.locator("details.group")
    website = phone.locator(f"#component-{status_page.web}")
    assert website.is_visible()  # open: a child is down
    group.locator("summary").click()
    assert not website.is_visible()
    phone.get_by_role("link", name="API errors").click()
    phone.wait_for_url(f"{live_server.url}/status/incidents/{status_page.incident}")
    assert phone.get_by_role("heading", name="API errors").is_visible()
    assert phone.locator(".update").count() == 3
    assert phone.problems == []
    response = phone.goto(f"{live_server.url}/status/incidents/unknown")
    assert response is not None and response.status == 404
    assert phone.get_by_role("heading", name="Not found").is_visible()
