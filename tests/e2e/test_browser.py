"""The web pages in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, LiveServer, Persona

pytestmark = pytest.mark.browser


def sign_in(page, server: LiveServer, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/settings/people")
    assert "/login?next=" in page.url
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/settings/people")


def test_sign_in_reach_dashboard_and_every_area(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "manager@example.com")
    page.get_by_role("link", name="Dashboard").click()
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("No open incidents").is_visible()
    for area in (
        "Incidents",
        "Alerts",
        "On-call",
        "Status page",
        "Post-mortems",
        "Insights",
        "Settings",
    ):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=area, exact=True
        ).click()
        current = page.get_by_role("navigation", name="Main").locator('[aria-current="page"]')
        assert current.inner_text() == area
    assert page.problems == []  # no console errors, no CSP violations


def test_create_a_token_see_it_once(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "responder@example.com")
    page.goto(f"{live_server.url}/settings/profile")
    page.get_by_label("Token name").fill("browser test")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"flt_[\w-]{40,}", secret)
    page.goto(f"{live_server.url}/settings/profile")  # a later visit no longer shows it
    assert page.locator("#new-token").count() == 0
    assert page.get_by_role("cell", name="browser test", exact=True).is_visible()
    page.get_by_role("button", name="Revoke token browser test").click()
    assert page.get_by_role("cell", name="revoked", exact=True).is_visible()


def test_sign_out(page, live_server: LiveServer, personas: dict[str, Persona]) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "viewer@example.com")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url


def test_keyboard_users_can_skip_to_content(
    page, live_server: LiveServer, personas: dict[str, Persona]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "viewer@example.com")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # visible when focused


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_dark_mode_follows_the_preference(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
    assert red + green + blue < 150, background


def test_api_docs_render_offline(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_text("/api/v1/users").first.wait_for()
    assert page.problems == []
