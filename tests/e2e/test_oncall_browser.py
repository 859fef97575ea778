"""On-call pages in Chromium: build a schedule and cover a shift through the
forms, read the timeline in dark mode on a phone, add a contact method whose
fields follow the chosen kind (with and without JavaScript), and create a
policy with the steps editor, then acknowledge the page it sends."""

from __future__ import annotations

import random
import re
from typing import Any

import httpx
import pytest

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.worker import Worker
from tests.conftest import LiveServer, Persona
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def api(server: LiveServer, persona: Persona, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method, f"{server.url}{path}", json=body, headers=persona.headers, timeout=10
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def make_schedule(server: LiveServer, manager: Persona) -> None:
    api(
        server,
        manager,
        "POST",
        "/api/v1/schedules",
        {
            "slug": "primary",
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "users": ["responder@example.com", "manager@example.com"],
                    "handoff": "2026-03-02T09:00",
                    "rotation_unit": "days",
                }
            ],
        },
    )


def row(page, kind: str):  # type: ignore[no-untyped-def]
    return page.locator(f".timeline-{kind}").first


def test_manager_builds_a_schedule_and_a_responder_covers_a_shift(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "manager@example.com")
    page.goto(f"{live_server.url}/oncall")
    assert page.get_by_text("No schedules yet.").is_visible()
    page.get_by_role("button", name="New schedule").click()
    page.get_by_label("Name", exact=True).fill("Primary")
    page.get_by_label(re.compile(r"^Slug")).fill("primary")
    page.get_by_label(re.compile(r"^Time zone")).fill("Europe/Berlin")
    page.get_by_label("Turn 1", exact=True).select_option(label="Responder")
    page.get_by_label("Turn 2", exact=True).select_option(label="Manager")
    page.get_by_label("Each turn lasts").fill("1")
    page.get_by_label("Unit", exact=True).select_option("days")
    page.get_by_label(re.compile(r"^First handoff")).fill("2026-03-02T09:00")
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url(f"{live_server.url}/oncall/schedules/primary")

    assert page.locator("#on-call-now").inner_text().startswith("Responder until Tue 03 Mar 09:00")
    first = "Responder: Mon 02 Mar 09:00 to Tue 03 Mar 09:00 (Europe/Berlin)"
    final = row(page, "final").get_by_role("listitem")
    assert final.count() == 14
    assert final.first.get_attribute("aria-label") == first
    assert page.get_by_role("list", name="On call").get_by_role("listitem", name=first).count() == 1

    # A responder covers an afternoon, typed in Berlin time.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/oncall/schedules/primary")
    page.get_by_label("Who covers").select_option(label="Admin")
    page.get_by_label("From (Europe/Berlin)").fill("2026-03-02T13:00")
    page.get_by_label("To (Europe/Berlin)").fill("2026-03-02T19:00")
    page.get_by_label(re.compile(r"^Note")).fill("dentist")
    page.get_by_role("button", name="Add override").click()
    page.wait_for_url(f"{live_server.url}/oncall/schedules/primary")
    cover = "Admin (override): Mon 02 Mar 13:00 to Mon 02 Mar 19:00 (Europe/Berlin)"
    assert row(page, "covers").get_by_role("listitem", name=cover).count() == 1
    assert row(page, "final").get_by_role("listitem", name=cover).count() == 1
    assert page.locator("#overrides").get_by_text("dentist").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "oncall-schedule.png"), full_page=True)

    page.get_by_role("button", name=re.compile(r"^Remove override")).click()
    assert page.get_by_text("No current or upcoming overrides.").is_visible()
    assert row(page, "covers").get_by_role("listitem").count() == 0
    assert page.problems == []  # no console errors, no CSP violations


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_timeline_reads_well_in_both_schemes_and_on_a_phone(
    page, live_server: LiveServer, personas: dict[str, Persona], request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    scheme = request.node.callspec.params["page"]
    make_schedule(live_server, personas["manager"])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "viewer@example.com")
    page.goto(f"{live_server.url}/oncall/schedules/primary")

    # Nothing in the page's content sticks out sideways; the timeline scrolls within its box.
    sticking_out = page.evaluate(
        """width => [...document.querySelectorAll("main *")]
            .filter(e => !e.closest(".timeline-scroll, .overflow-auto"))
            .filter(e => e.getBoundingClientRect().right > width)
            .map(e => e.tagName + "#" + e.id + "." + e.className)""",
        PHONE["width"],
    )
    assert sticking_out == []
    # Nor does the site's header: the whole page is one phone wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator(".timeline-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")

    bar = row(page, "final").locator("svg.shift").first
    fill = bar.locator("rect").evaluate("e => getComputedStyle(e).fill")
    text = bar.locator("text").evaluate("e => getComputedStyle(e).fill")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert _contrast(fill, text) >= 4.5, (fill, text)
    if scheme == "dark":
        assert _luminance(background) < 0.1 and _luminance(fill) < 0.2
    else:
        assert _luminance(background) > 0.8 and _luminance(fill) > 0.5
    assert bar.locator("text").text_content() == "Responder"
    page.screenshot(path=str(ARTIFACTS / f"oncall-timeline-phone-{scheme}.png"), full_page=True)
    assert page.problems == []


def test_contact_method_fields_follow_the_kind(
    page, browser, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "viewer@example.com")
    page.goto(f"{live_server.url}/oncall/me")
    assert page.get_by_role("heading", name="A page cannot reach you").is_visible()
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Kind", exact=True).select_option(label="Webhook")
    url = page.get_by_label(re.compile(r"^URL"))
    url.wait_for()  # swapped in place by htmx
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.get_by_label(re.compile(r"^E-mail address")).count() == 0
    url.fill("https://hooks.example.com/fireline")
    page.get_by_label(re.compile(r"^Signing secret")).fill("short")
    page.get_by_role("button", name="Add contact method").click()
    error = page.locator("#method-target-secret-error")
    assert "at least 16" in error.inner_text()
    assert page.get_by_label(re.compile(r"^Signing secret")).input_value() == ""  # not echoed
    # The refused form came back as a 422, which Chromium reports on the console.
    assert [p for p in page.problems if "status of 422" not in p] == []
    page.problems.clear()
    page.get_by_label(re.compile(r"^Signing secret")).fill("a-long-random-secret-1234")
    page.get_by_label(re.compile(r"^Label")).fill("ops hook")
    page.get_by_role("button", name="Add contact method").click()
    method = page.locator("#methods").get_by_role("row", name=re.compile("ops hook"))
    assert "url: https://hooks.example.com/****" in method.inner_text()
    assert "not verified" in method.inner_text()
    method.get_by_role("button", name="Send a test to ops hook").click()
    assert page.locator("#test-queued").inner_text().startswith("A test message is on its way")

    # Without JavaScript the kind is chosen with the form's own button.
    plain = browser.new_context(java_script_enabled=False)
    try:
        other = plain.new_page()
        other.set_default_timeout(10_000)
        sign_in(other, live_server, "responder@example.com")
        other.goto(f"{live_server.url}/oncall/me")
        other.get_by_label("Kind", exact=True).select_option(label="ntfy")
        other.get_by_role("button", name="Show its fields").click()
        other.get_by_label(re.compile(r"^Topic")).fill("fireline-responder-4f9a2c7e1b")
        other.get_by_role("button", name="Add contact method").click()
        added = other.locator("#methods tbody tr")
        assert added.count() == 1 and "topic: " in added.inner_text()
    finally:
        plain.close()
    assert page.problems == []


def test_policy_editor_then_acknowledge_its_page(
    page,
    live_server: LiveServer,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    settings: Settings,
) -> None:  # type: ignore[no-untyped-def]
    make_schedule(live_server, personas["manager"])
    api(
        live_server,
        personas["responder"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {}},
    )
    sign_in(page, live_server, "manager@example.com")
    page.goto(f"{live_server.url}/oncall/policies")
    page.get_by_role("button", name="New policy").click()
    page.get_by_label("Name", exact=True).fill("API on call")
    page.get_by_label(re.compile(r"^Slug")).fill("api-oncall")
    page.locator("#step-0-targets").select_option(label="Primary")
    page.locator("#step-0-delay").fill("10")
    page.locator("#step-1-targets").select_option(label=["Admin", "Manager"])
    page.locator("#step-1-mode").select_option("round_robin")
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url(f"{live_server.url}/oncall/policies/api-oncall")
    steps = page.locator("#steps")
    assert "on call now: Responder" in steps.inner_text()
    assert "Admin, then Manager" in steps.inner_text()

    api(
        live_server, personas["manager"], "POST", "/api/v1/services", {"slug": "api", "name": "API"}
    )
    api(
        live_server,
        personas["manager"],
        "PUT",
        "/api/v1/services/api/escalation-policy",
        {"escalation_policy": "api-oncall"},
    )
    key = api(
        live_server,
        personas["manager"],
        "POST",
        "/api/v1/integrations",
        {"service": "api", "kind": "pagerduty"},
    )["key"]
    sent = httpx.post(
        f"{live_server.url}/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "checkout",
            "payload": {"summary": "Checkout errors", "source": "web-1", "severity": "critical"},
        },
    )
    assert sent.status_code == 202, sent.text
    worker = Worker(db, clock, settings, rng=random.Random(1))
    while worker.run_once() > 0:
        pass

    page.goto(f"{live_server.url}/oncall/pages")
    card = page.locator("article.oncall-page").first
    assert card.get_by_role("link", name="AG-1 Checkout errors").is_visible()
    assert "Responder" in card.locator("table.notifications").inner_text()
    card.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r"/oncall/pages"))
    assert page.locator(".page-status").first.inner_text() == "acknowledged"
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert page.problems == []
