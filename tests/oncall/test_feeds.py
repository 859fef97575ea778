"""Calendar feeds behind secret URLs: made through the API, read by a
calendar client without a login, revoked, and audited without the secret."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from fireline.core.audit import AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.oncall import feeds
from fireline.oncall.models import CalendarFeed
from fireline.people.models import User
from tests.conftest import LiveServer, Persona

Personas = dict[str, Persona]
BASE = "https://fireline.example"
FEED_URL = re.compile(rf"^{re.escape(BASE)}/calendar/(flc_[A-Za-z0-9_-]{{43}})\.ics$")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, migrate_on_start=False, base_url=BASE)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_schedule(
    client: TestClient, personas: Personas, slug: str, *people: str, **layer: Any
) -> None:
    response = client.post(
        "/api/v1/schedules",
        json={
            "slug": slug,
            "name": slug.title(),
            "time_zone": "UTC",
            "layers": [
                {
                    "users": [personas[p].email for p in people],
                    "handoff": "2026-01-05T09:00",
                    **layer,
                }
            ],
        },
        headers=personas["manager"].headers,
    )
    assert response.status_code == 201, response.text


def new_feed(client: TestClient, who: Persona, path: str) -> tuple[int, str]:
    response = client.post(path, json={}, headers=who.headers)
    assert response.status_code == 201, response.text
    match = FEED_URL.match(response.json()["url"])
    assert match, response.json()
    feed_id: int = response.json()["id"]
    return feed_id, match.group(1)


def events(client: TestClient, token: str) -> list[tuple[datetime, datetime, str, str]]:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    found = []
    for event in Calendar.from_ical(response.content).walk("VEVENT"):
        attendee = str(event.get("ATTENDEE", "")).removeprefix("mailto:")
        start: datetime = event.decoded("DTSTART")
        end: datetime = event.decoded("DTEND")
        found.append((start, end, str(event["SUMMARY"]), attendee))
    return sorted(found)


def test_a_schedule_feed_is_shown_once_and_serves_the_window_of_shifts(
    client: TestClient, personas: Personas, db: Database
) -> None:
    make_schedule(client, personas, "primary", "responder", "manager")
    feed_id, token = new_feed(
        client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds"
    )

    with db.session() as session:
        row = session.get(CalendarFeed, feed_id)
        assert row is not None and row.schedule_id is not None and row.user_id is None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    listed = client.get(
        "/api/v1/schedules/primary/calendar-feeds", headers=personas["viewer"].headers
    )
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()] == [feed_id]
    assert "url" not in listed.json()[0] and token not in listed.text

    shifts = events(client, token)
    # The test clock stands on Monday 2 March 2026, 09:00 UTC; the feed runs
    # from a week before that day to eight weeks after it, and keeps the
    # shifts crossing either edge whole.
    assert shifts[0][:2] == (utc(2026, 2, 16, 9), utc(2026, 2, 23, 9))
    assert shifts[-1][:2] == (utc(2026, 4, 27, 9), utc(2026, 5, 4, 9))
    assert len(shifts) == 11
    assert shifts[2] == (
        utc(2026, 3, 2, 9),
        utc(2026, 3, 9, 9),
        "On call: Primary (Responder)",
        "responder@example.com",
    )
    assert shifts[3][2:] == ("On call: Primary (Manager)", "manager@example.com")


def test_calendar_clients_can_ask_whether_anything_changed(
    client: TestClient, personas: Personas, clock: FixedClock
) -> None:
    make_schedule(client, personas, "primary", "responder", "manager")
    _, token = new_feed(client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds")
    first = client.get(f"/calendar/{token}.ics")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=300"

    unchanged = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == tag
    # Later the same day, nothing in the schedule moved: the same bytes.
    clock.advance(hours=5)
    assert client.get(f"/calendar/{token}.ics").content == first.content

    override = client.post(
        "/api/v1/schedules/primary/overrides",
        json={
            "user": personas["admin"].email,
            "starts_at": "2026-03-03T00:00:00Z",
            "ends_at": "2026-03-04T00:00:00Z",
        },
        headers=personas["responder"].headers,
    )
    assert override.status_code == 201, override.text
    changed = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert b"On call: Primary (Admin)" in changed.content


def test_revoked_and_unknown_tokens_get_the_same_404(
    client: TestClient, personas: Personas, db: Database
) -> None:
    make_schedule(client, personas, "primary", "responder")
    feed_id, token = new_feed(
        client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds"
    )
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    path = f"/api/v1/schedules/primary/calendar-feeds/{feed_id}"
    assert client.delete(path, headers=personas["viewer"].headers).status_code == 204
    assert (
        client.delete(path, headers=personas["viewer"].headers).status_code == 204
    )  # again: no-op
    revoked = client.get(f"/calendar/{token}.ics")
    unknown = client.get(f"/calendar/flc_{'A' * 43}.ics")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.json() == unknown.json()
    assert client.get(f"/calendar/{'x' * 5000}.ics").status_code == 404
    listed = client.get(
        "/api/v1/schedules/primary/calendar-feeds", headers=personas["viewer"].headers
    )
    assert listed.json() == []

    with db.session() as session:
        records = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("calendar_feed.%"))
            .order_by(AuditEvent.seq)
        ).all()
        assert [(r.action, r.object_type, r.changes) for r in records] == [
            ("calendar_feed.created", "schedule", {"feed": feed_id}),
            ("calendar_feed.revoked", "schedule", {"feed": feed_id}),
        ]
        assert all(r.actor_name == "viewer@example.com" for r in records)


def test_a_persons_feed_holds_their_final_shifts_on_every_schedule(
    client: TestClient, personas: Personas, db: Database
) -> None:
    make_schedule(client, personas, "primary", "responder", "manager")
    make_schedule(
        client,
        personas,
        "database",
        "responder",
        rotation_unit="days",
        restrictions=[{"days": [6, 7], "start": "10:00", "end": "12:00"}],
    )
    # The admin covers a day of the responder's primary week: that day is not theirs.
    override = client.post(
        "/api/v1/schedules/primary/overrides",
        json={
            "user": personas["admin"].email,
            "starts_at": "2026-03-03T00:00:00Z",
            "ends_at": "2026-03-04T00:00:00Z",
        },
        headers=personas["manager"].headers,
    )
    assert override.status_code == 201, override.text
    feed_id, token = new_feed(client, personas["responder"], "/api/v1/me/calendar-feeds")

    response = client.get(f"/calendar/{token}.ics")
    assert Calendar.from_ical(response.content)["X-WR-CALNAME"] == "On call: Responder"
    shifts = events(client, token)
    assert {attendee for *_, attendee in shifts} == {"responder@example.com"}
    primary = [(s, e) for s, e, summary, _ in shifts if summary == "On call for Primary"]
    database = [(s, e) for s, e, summary, _ in shifts if summary == "On call for Database"]
    assert (utc(2026, 3, 2, 9), utc(2026, 3, 3)) in primary
    assert (utc(2026, 3, 4), utc(2026, 3, 9, 9)) in primary
    assert not any(s < utc(2026, 3, 3, 12) < e for s, e in primary)
    assert (utc(2026, 3, 7, 10), utc(2026, 3, 7, 12)) in database
    assert all(e - s == timedelta(hours=2) for s, e in database)

    mine = client.get("/api/v1/me/calendar-feeds", headers=personas["responder"].headers).json()
    assert [(f["id"], f["user_id"], f["schedule"]) for f in mine] == [
        (feed_id, personas["responder"].user_id, None)
    ]
    # Someone else's feed is as unknown to the manager as no feed at all.
    other = client.delete(
        f"/api/v1/me/calendar-feeds/{feed_id}", headers=personas["manager"].headers
    )
    assert other.status_code == 404
    assert client.get("/api/v1/me/calendar-feeds", headers=personas["manager"].headers).json() == []

    # A person who leaves takes their feed with them.
    with db.transaction() as session:
        user = session.get(User, personas["responder"].user_id)
        assert user is not None
        user.is_active = False
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_person_on_no_schedule_gets_an_empty_calendar(
    client: TestClient, personas: Personas
) -> None:
    _, token = new_feed(client, personas["viewer"], "/api/v1/me/calendar-feeds")
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert calendar.name == "VCALENDAR" and calendar.walk("VEVENT") == []


def test_feed_errors_name_what_is_wrong(client: TestClient, personas: Personas) -> None:
    viewer = personas["viewer"].headers
    missing = client.post("/api/v1/schedules/nope/calendar-feeds", json={}, headers=viewer)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "schedule"
    make_schedule(client, personas, "primary", "responder")
    make_schedule(client, personas, "secondary", "manager")
    feed_id, _ = new_feed(client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds")
    elsewhere = client.delete(
        f"/api/v1/schedules/secondary/calendar-feeds/{feed_id}", headers=viewer
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["field"] == "feed"
    bad_id = client.delete("/api/v1/me/calendar-feeds/not-a-number", headers=viewer)
    assert bad_id.status_code == 422 and bad_id.json()["error"]["field"] == "feed_id"

    for _ in range(feeds.MAX_ACTIVE - 1):
        new_feed(client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds")
    full = client.post("/api/v1/schedules/primary/calendar-feeds", json={}, headers=viewer)
    assert full.status_code == 409 and full.json()["error"]["field"] == "feed"
    # The limit is per schedule: another schedule still has room.
    new_feed(client, personas["viewer"], "/api/v1/schedules/secondary/calendar-feeds")


def test_the_feed_url_follows_the_request_when_no_base_url_is_set(
    personas: Personas, db: Database, clock: FixedClock, database_url: str
) -> None:
    from fireline.web.app import create_app

    app = create_app(
        Settings(database_url=database_url, migrate_on_start=False), database=db, clock=clock
    )
    with TestClient(app, base_url="http://oncall.internal:8080") as plain:
        response = plain.post(
            "/api/v1/me/calendar-feeds", json={}, headers=personas["viewer"].headers
        )
    assert response.status_code == 201, response.text
    assert response.json()["url"].startswith("http://oncall.internal:8080/calendar/flc_")


def test_the_access_log_does_not_show_feed_tokens(
    client: TestClient, live_server: LiveServer, personas: Personas
) -> None:
    make_schedule(client, personas, "primary", "responder")
    _, token = new_feed(client, personas["viewer"], "/api/v1/schedules/primary/calendar-feeds")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    access = logging.getLogger("uvicorn.access")
    keep, level = Keep(), access.level
    access.addHandler(keep)
    access.setLevel(logging.INFO)
    try:
        response = httpx.get(f"{live_server.url}/calendar/{token}.ics", timeout=10)
    finally:
        access.removeHandler(keep)
        access.setLevel(level)
    assert response.status_code == 200
    assert any('"GET /calendar/[redacted].ics HTTP/1.1" 200' in line for line in lines), lines
    assert not any(token in line for line in lines)
