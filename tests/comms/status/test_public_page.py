"""The public status page, its incident pages, history and Atom feed: no
login, the right content, 404 pages, uptime bars, and a fixed number of
queries however much is on the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from fireline.comms.status import components, service
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.deps import Principal
from tests.comms.status.test_statuspage_api import BASE_URL, Page, build_page, principal
from tests.conftest import Persona

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, migrate_on_start=False, base_url=BASE_URL)


@pytest.fixture
def admin(personas: dict[str, Persona]) -> Principal:
    return principal(personas["admin"])


@pytest.fixture
def page(db: Database, clock: FixedClock, admin: Principal) -> Page:
    return build_page(db, clock, admin)


def html(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def days_of(text: str, code: str) -> list[tuple[str, str]]:
    """(class, title) of each day in a component's uptime bar."""
    block = text.split(f'id="component-{code}"', 1)[1].split('class="bar-legend', 1)[0]
    return re.findall(r'<span class="day (day-[a-z_]+)" title="([^"]*)"></span>', block)


# --- the page ------------------------------------------------------------------------


def test_the_page_needs_no_login_and_shows_everything(client: TestClient, page: Page) -> None:
    text = html(client, "/status")
    assert "<title>Acme</title>" in text
    assert 'class="banner banner-critical"' in text and "Major System Outage" in text
    # The open incident with its updates, newest first; not the resolved one's updates.
    assert "API errors" in text
    assert text.index("A bad deploy") < text.index("Investigating")
    assert "Looking" not in text
    assert "Maintenance in progress" in text and "Mail relay swap" in text
    assert "Scheduled maintenance" in text and "Database upgrade" in text
    # Recently resolved incidents are listed with a link.
    assert f'href="/status/incidents/{page.resolved}"' in text
    for name in ("Platform", "API", "Website", "E-mail"):
        assert f'<span class="component-name">{name}</span>' in text
    assert 'href="/status/subscribe"' in text
    assert '<link rel="alternate" type="application/atom+xml"' in text
    assert 'href="/status/history.atom"' in text
    assert "<script" not in text and "style=" not in text  # nothing for the CSP to block
    assert 'href="/static/status.css"' in text and "pico" not in text  # its own layout


def test_a_group_shows_its_worst_child_and_opens_when_not_operational(
    client: TestClient, page: Page
) -> None:
    text = html(client, "/status")
    group = re.search(r"<details class=\"group\"( open)?>\s*<summary>(.*?)</summary>", text, re.S)
    assert group is not None and group.group(1) == " open"
    assert "Major outage" in group.group(2)


def test_dates_are_shown_in_the_page_time_zone(client: TestClient, page: Page) -> None:
    text = html(client, "/status")
    # The update at 13:00 UTC is 14:00 in Berlin (CET).
    assert "Mar 02, 14:00 CET" in text
    assert "Times in Europe/Berlin." in text


def test_only_show_if_degraded_hides_a_component_while_it_is_operational(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal
) -> None:
    with db.transaction() as s:
        hidden = components.create_component(
            s, admin, clock.now(), name="Legacy FTP", only_show_if_degraded=True
        )
        components.create_component(s, admin, clock.now(), name="Dashboard")
    text = html(client, "/status")
    assert "Legacy FTP" not in text and "Dashboard" in text
    with db.transaction() as s:
        found = components.find_component(s, hidden.code)
        components.set_component_status(s, admin, clock.now(), found, "degraded_performance")
    text = html(client, "/status")
    assert "Legacy FTP" in text and "Degraded performance" in text


def test_the_uptime_bar_colours_a_day_by_its_worst_status(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal
) -> None:
    with db.transaction() as s:
        component = components.create_component(s, admin, clock.now(), name="Checkout")
    clock.advance(hours=1)
    days = days_of(html(client, "/status"), component.code)
    assert len(days) == 90
    assert days[-1][0] == "day-operational" and "no downtime" in days[-1][1]
    assert all(cls == "day-nodata" for cls, _ in days[:-1])  # before it existed
    assert days[-2][1].endswith(": no data")
    with db.transaction() as s:
        found = components.find_component(s, component.code)
        components.set_component_status(s, admin, clock.now(), found, "major_outage")
    clock.advance(minutes=45)
    with db.transaction() as s:
        found = components.find_component(s, component.code)
        components.set_component_status(s, admin, clock.now(), found, "operational")
    clock.advance(minutes=15)
    text = html(client, "/status")
    days = days_of(text, component.code)
    assert days[-1] == ("day-major_outage", "2026-03-02: major outage 45 min")
    # 45 minutes down out of the 2 hours it has existed.
    assert "62.50% uptime" in text


def test_the_page_works_empty(client: TestClient) -> None:
    text = html(client, "/status")
    assert "All Systems Operational" in text and "No components yet." in text


def test_the_brand_colour_comes_from_a_stylesheet_and_the_logo_is_allowed(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal
) -> None:
    with db.transaction() as s:
        components.update_page_settings(
            s,
            admin,
            clock.now(),
            brand_color="#AA3300",
            logo_url="https://cdn.example.org/logo.svg",
        )
    response = client.get("/status")
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.org;" in csp
    assert "script-src 'self';" in csp and "style-src 'self';" in csp  # otherwise unchanged
    assert '<img src="https://cdn.example.org/logo.svg"' in response.text
    theme = re.search(r'href="(/status/theme\.css\?v=\d+)"', response.text)
    assert theme is not None
    css = client.get(theme.group(1))
    assert css.headers["content-type"].startswith("text/css")
    assert css.text.strip() == ":root { --brand: #aa3300; }"
    assert (
        "default-src 'self'" in client.get("/status/incidents/x").headers["content-security-policy"]
    )


# --- incident pages, history, 404 ----------------------------------------------------


def test_an_incident_page_shows_every_update(client: TestClient, page: Page) -> None:
    text = html(client, f"/status/incidents/{page.resolved}")
    assert "Slow logins" in text and "Fixed" in text and "Looking" in text
    assert text.index("Fixed") < text.index("Looking")
    text = html(client, f"/status/incidents/{page.upcoming}")
    assert "Scheduled maintenance" in text and "Mar 04, 10:00" in text


@pytest.mark.parametrize(
    "path", ["/status/incidents/nope", "/status/incidents/" + "x" * 300, "/status/incidents/1"]
)
def test_an_unknown_incident_is_a_404_page(client: TestClient, page: Page, path: str) -> None:
    text = html(client, path, status=404)
    assert "<h1>Not found</h1>" in text and 'href="/status"' in text


def test_history_lists_incidents_by_month(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal
) -> None:
    with db.transaction() as s:
        service.open_incident(s, admin, clock.now() - timedelta(days=40), name="January", body="x")
        service.open_incident(s, admin, clock.now(), name="March", body="y")
    text = html(client, "/status/history")
    assert "March 2026" in text and "January 2026" in text
    assert text.index("March 2026") < text.index("January 2026")
    assert text.index(">March<") < text.index("January 2026") < text.index(">January<")


# --- the feed ------------------------------------------------------------------------


def parse_feed(client: TestClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_the_atom_feed_has_one_entry_per_incident(client: TestClient, page: Page) -> None:
    root = parse_feed(client, "/status/history.atom")
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.findtext(f"{ATOM}title") == "Acme status history"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == f"{BASE_URL}/status/history.atom"
    entries = root.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(entries) == 4 and len(set(ids)) == 4
    current = next(e for e in entries if e.findtext(f"{ATOM}title") == "API errors")
    assert current.findtext(f"{ATOM}id") == f"{BASE_URL}/status/incidents/{page.incident}"
    # Updated is the latest update (13:00 UTC), not when the incident was opened.
    assert current.findtext(f"{ATOM}updated") == "2026-03-02T13:00:00Z"
    assert current.findtext(f"{ATOM}published") == "2026-03-02T12:00:00Z"
    content = current.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "A bad deploy" in (content.text or "") and "Investigating" in (content.text or "")
    assert root.findtext(f"{ATOM}updated") == "2026-03-02T13:00:00Z"


def test_the_feed_escapes_what_people_write(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal
) -> None:
    with db.transaction() as s:
        service.open_incident(
            s, admin, clock.now(), name="R&D <script> down", body="<b>bold</b> & more"
        )
    root = parse_feed(client, "/status/history.atom")
    entry = root.find(f"{ATOM}entry")
    assert entry is not None and entry.findtext(f"{ATOM}title") == "R&D <script> down"
    content = entry.findtext(f"{ATOM}content") or ""
    assert "&lt;b&gt;bold&lt;/b&gt;" in content and "<b>" not in content  # no raw HTML passes


def test_the_feed_of_one_component(client: TestClient, page: Page) -> None:
    root = parse_feed(client, f"/status/history.atom?component={page.api}")
    assert [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")] == ["API errors"]
    assert root.findtext(f"{ATOM}title") == "Acme status history: API"
    solo = parse_feed(client, f"/status/history.atom?component={page.solo}")
    assert [e.findtext(f"{ATOM}title") for e in solo.findall(f"{ATOM}entry")] == [
        "Maintenance: Mail relay swap"
    ]
    assert client.get("/status/history.atom?component=nope").status_code == 404


# --- cost ----------------------------------------------------------------------------


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def add_more(db: Database, clock: FixedClock, admin: Principal, n: int) -> None:
    at = clock.now()
    with db.transaction() as s:
        group = components.create_group(s, admin, at, name=f"Group {n}")
        for k in range(n):
            c = components.create_component(s, admin, at, name=f"C{n}-{k}", group=group.code)
            components.set_component_status(s, admin, at, c, "degraded_performance")
            service.open_incident(
                s, admin, at, name=f"I{n}-{k}", body="b", components={c.code: "partial_outage"}
            )


@pytest.mark.parametrize("path", ["/status", "/api/v2/summary.json", "/status/history.atom"])
def test_the_number_of_queries_does_not_grow_with_the_page(
    client: TestClient, db: Database, clock: FixedClock, admin: Principal, path: str
) -> None:
    add_more(db, clock, admin, 2)
    client.get(path)  # the settings row is made on the first read
    with counting(db) as small:
        assert client.get(path).status_code == 200
    add_more(db, clock, admin, 8)
    with counting(db) as large:
        text = client.get(path).text
    assert "C8-7" in text or "I8-7" in text
    assert len(large) == len(small), large
    assert len(small) <= 12
