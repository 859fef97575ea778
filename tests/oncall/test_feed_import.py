"""Importing another calendar as a schedule layer: fetched from a real HTTP
server on 127.0.0.1, matched to people, read again by the periodic job, and
refused with a message about the URL when it cannot be used."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.registry import BUILTIN_MODULES, periodic_kinds
from fireline.core.jobs.worker import Worker
from fireline.oncall import feed_fetch, feed_jobs
from fireline.oncall.feed_fetch import FetchFailed
from fireline.oncall.models import ScheduleLayer
from fireline.web.app import create_app
from tests.comms.conftest import Receiver, closed_port, receiver
from tests.conftest import Persona

__all__ = ["closed_port", "receiver"]

Personas = dict[str, Persona]
CALENDAR = {"Content-Type": "text/calendar; charset=utf-8"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The calendar server of these tests listens on 127.0.0.1.
    return Settings(database_url=database_url, migrate_on_start=False, outbound_allow_private=True)


def event(uid: str, start: str, end: str, summary: str, attendee: str = "") -> str:
    lines = [f"UID:{uid}", f"DTSTART:{start}", f"DTEND:{end}", f"SUMMARY:{summary}"]
    if attendee:
        lines.append(f"ATTENDEE;CN=Someone:mailto:{attendee}")
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


def ics(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//another tool//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


# The test clock stands on Monday 2 March 2026, 09:00 UTC.
TEAM_CALENDAR = ics(
    event("w1@other", "20260302T090000Z", "20260309T090000Z", "Primary", "responder@example.com"),
    event("w2@other", "20260309T090000Z", "20260316T090000Z", "Manager"),
    event("w3@other", "20260316T090000Z", "20260323T090000Z", "Dana from the contractor"),
)


def make_schedule(client: TestClient, personas: Personas) -> None:
    """A schedule whose own rotation has the admin on call all the time."""
    response = client.post(
        "/api/v1/schedules",
        json={
            "slug": "primary",
            "name": "Primary",
            "time_zone": "UTC",
            "layers": [{"users": [personas["admin"].email], "handoff": "2026-01-05T09:00"}],
        },
        headers=personas["manager"].headers,
    )
    assert response.status_code == 201, response.text


def import_feed(client: TestClient, personas: Personas, url: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/schedules/primary/layers/import",
        json={"url": url, **extra},
        headers=personas["manager"].headers,
    )


def on_call_now(client: TestClient, personas: Personas) -> str | None:
    [answer] = client.get(
        "/api/v1/oncall", params={"schedule": "primary"}, headers=personas["viewer"].headers
    ).json()
    return answer["user"]["name"] if answer["user"] else None


def imported_layer(client: TestClient, personas: Personas) -> dict[str, Any]:
    schedule = client.get("/api/v1/schedules/primary", headers=personas["viewer"].headers).json()
    [layer] = [layer for layer in schedule["layers"] if layer["imported_from"]]
    return dict(layer)


def test_an_imported_feed_becomes_the_top_layer(
    client: TestClient, personas: Personas, receiver: Receiver, db: Database, clock: FixedClock
) -> None:
    make_schedule(client, personas)
    receiver.reply(200, TEAM_CALENDAR, headers=CALENDAR)
    url = f"{receiver.url}/team.ics?key=s3cret"

    response = import_feed(client, personas, url, name="Other tool")
    assert response.status_code == 201, response.text
    body = response.json()
    assert receiver.last.path == "/team.ics?key=s3cret"
    assert (receiver.last.header("user-agent") or "").startswith("fireline/")
    layer = body["layer"]
    assert (layer["name"], layer["position"], layer["shifts"]) == ("Other tool", 1, 2)
    people = {personas["responder"].user_id, personas["manager"].user_id}
    assert layer["user_ids"] == sorted(uid for uid in people if uid is not None)
    assert layer["imported_from"] == receiver.url  # the origin only: the rest is the secret
    assert layer["import_error"] is None
    assert body["warnings"] == [
        {
            "uid": "w3@other",
            "summary": "Dana from the contractor",
            "message": "matches nobody in the directory",
        }
    ]
    assert body["warnings_total"] == 1

    shifts = client.get(
        "/api/v1/schedules/primary/shifts",
        params={"start": "2026-03-02T09:00:00Z", "end": "2026-03-23T09:00:00Z"},
        headers=personas["viewer"].headers,
    ).json()["final"]
    assert [(s["start"][:10], s["user"]["name"]) for s in shifts] == [
        ("2026-03-02", "Responder"),  # by the attendee's address
        ("2026-03-09", "Manager"),  # by a summary that is someone's name
        ("2026-03-16", "Admin"),  # nobody imported: the rotation below shows through
    ]
    assert (
        "s3cret"
        not in client.get("/api/v1/schedules/primary", headers=personas["viewer"].headers).text
    )

    with db.session() as session:
        [record] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "schedule.layer_imported")
        ).all()
        assert record.changes == {
            "layer": "Other tool",
            "source": receiver.url,
            "shifts": 2,
            "skipped": 1,
        }
        stored = session.scalars(select(ScheduleLayer).where(ScheduleLayer.ical_url == url)).one()
        assert stored.imported_at == clock.now()

    again = import_feed(client, personas, url)
    assert again.status_code == 409 and again.json()["error"]["field"] == "url"


def run_periodic(db: Database, clock: FixedClock, settings: Settings) -> None:
    """What a worker does when the period comes round: enqueue the periodic
    jobs, then run everything due."""
    worker = Worker(db, clock, settings, rng=random.Random(1))
    worker.schedule_periodic()
    while worker.run_once() > 0:
        pass


def test_the_periodic_job_reads_the_feed_again_and_keeps_the_last_good_shifts(
    client: TestClient,
    personas: Personas,
    receiver: Receiver,
    db: Database,
    clock: FixedClock,
    settings: Settings,
) -> None:
    assert "fireline.oncall.feed_jobs" in BUILTIN_MODULES
    assert periodic_kinds()[feed_jobs.SWEEP_JOB] == timedelta(minutes=15)
    make_schedule(client, personas)
    receiver.reply(200, TEAM_CALENDAR, headers=CALENDAR)
    assert import_feed(client, personas, f"{receiver.url}/team.ics").status_code == 201
    assert on_call_now(client, personas) == "Responder"
    first_read = clock.now()

    # The other tool hands this week to the manager.
    clock.advance(minutes=15)
    receiver.reply(
        200,
        ics(event("w1@other", "20260302T090000Z", "20260309T090000Z", "Manager")),
        headers=CALENDAR,
    )
    run_periodic(db, clock, settings)
    assert on_call_now(client, personas) == "Manager"
    layer = imported_layer(client, personas)
    assert datetime.fromisoformat(layer["imported_at"]) == clock.now() != first_read
    assert layer["import_error"] is None
    good_read = layer["imported_at"]

    # The server is down, then it answers with something that is not a calendar:
    # the last good shifts stay, and the layer says why they are not newer.
    for reply, error in [
        ((500, "down"), f"{receiver.url} answered HTTP 500 instead of a feed"),
        ((200, "<html>maintenance</html>"), "not an iCalendar feed"),
    ]:
        clock.advance(minutes=15)
        receiver.reply(*reply)
        run_periodic(db, clock, settings)
        assert on_call_now(client, personas) == "Manager"
        layer = imported_layer(client, personas)
        assert layer["import_error"] is not None and error in layer["import_error"]
        assert layer["imported_at"] == good_read

    clock.advance(minutes=15)
    receiver.reply(200, TEAM_CALENDAR, headers=CALENDAR)
    run_periodic(db, clock, settings)
    assert on_call_now(client, personas) == "Responder"
    assert imported_layer(client, personas)["import_error"] is None
    # One read when the layer was made, and one per period since.
    assert len([r for r in receiver.requests if r.path == "/team.ics"]) == 5


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/team.ics", "expected an http or https URL"),
        ("not a url", "expected an http or https URL"),
        ("   ", "expected an http or https URL"),
        ("https://" + "a" * 2000 + ".example/", "at most 2000 characters"),
    ],
)
def test_urls_that_cannot_be_feeds_are_refused_before_any_request(
    client: TestClient, personas: Personas, url: str, message: str
) -> None:
    make_schedule(client, personas)
    response = import_feed(client, personas, url)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "url"
    assert message in response.json()["error"]["message"]


def test_answers_that_are_not_a_usable_feed_are_refused_and_nothing_is_stored(
    client: TestClient, personas: Personas, receiver: Receiver, closed_port: int
) -> None:
    make_schedule(client, personas)
    cases: list[tuple[tuple[Any, ...], dict[str, Any], str]] = [
        ((404, "no such calendar"), {}, "answered HTTP 404 instead of a feed"),
        (
            (200, "<html>hello</html>"),
            {"headers": {"Content-Type": "text/html"}},
            "not an iCalendar feed",
        ),
        ((200, b"B" * (feed_fetch.MAX_FEED_BYTES + 1)), {"headers": CALENDAR}, "larger than 2 MB"),
        (
            (302, ""),
            {"headers": {"Location": f"http://localhost:{receiver.port}/elsewhere.ics"}},
            "only same-host redirects",
        ),
    ]
    for reply, options, message in cases:
        receiver.reply(*reply, **options)
        response = import_feed(client, personas, f"{receiver.url}/team.ics")
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "url" and message in error["message"], error

    nobody = import_feed(client, personas, f"http://127.0.0.1:{closed_port}/team.ics")
    assert nobody.status_code == 422
    assert nobody.json()["error"] == {
        "code": "invalid",
        "message": f"could not connect to http://127.0.0.1:{closed_port}",
        "field": "url",
    }
    assert imported_layer_count(client, personas) == 0


def imported_layer_count(client: TestClient, personas: Personas) -> int:
    schedule = client.get("/api/v1/schedules/primary", headers=personas["viewer"].headers).json()
    return sum(1 for layer in schedule["layers"] if layer["imported_from"])


def test_private_addresses_are_refused_unless_allowed(
    personas: Personas, receiver: Receiver, db: Database, clock: FixedClock, database_url: str
) -> None:
    guarded = create_app(
        Settings(database_url=database_url, migrate_on_start=False), database=db, clock=clock
    )
    with TestClient(guarded) as client:
        make_schedule(client, personas)
        response = import_feed(client, personas, f"{receiver.url}/team.ics")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "url"
    assert "refused to connect to 127.0.0.1" in error["message"]
    assert receiver.requests == []


def test_other_mistakes_name_their_field(
    client: TestClient, personas: Personas, receiver: Receiver
) -> None:
    unknown = import_feed(client, personas, f"{receiver.url}/team.ics")
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "schedule"
    assert receiver.requests == []  # nothing is fetched for a schedule that does not exist
    make_schedule(client, personas)
    missing = client.post(
        "/api/v1/schedules/primary/layers/import", json={}, headers=personas["manager"].headers
    )
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "url"
    long_name = import_feed(client, personas, f"{receiver.url}/team.ics", name="n" * 201)
    assert long_name.status_code == 422 and long_name.json()["error"]["field"] == "name"
    viewer = client.post(
        "/api/v1/schedules/primary/layers/import",
        json={"url": f"{receiver.url}/team.ics"},
        headers=personas["viewer"].headers,
    )
    assert viewer.status_code == 403


def test_a_name_two_people_share_matches_neither(
    client: TestClient, personas: Personas, receiver: Receiver
) -> None:
    for email in ("sam.lee@example.com", "sam.lee@partner.example"):
        created = client.post(
            "/api/v1/users",
            json={"email": email, "name": "Sam Lee", "role": "responder"},
            headers=personas["admin"].headers,
        )
        assert created.status_code == 201, created.text
    make_schedule(client, personas)
    receiver.reply(
        200,
        ics(
            event("a@other", "20260302T090000Z", "20260303T090000Z", "Sam Lee"),
            event(
                "b@other", "20260303T090000Z", "20260304T090000Z", "x", "sam.lee@partner.example"
            ),
        ),
        headers=CALENDAR,
    )
    response = import_feed(client, personas, f"{receiver.url}/team.ics")
    assert response.status_code == 201, response.text
    assert [w["uid"] for w in response.json()["warnings"]] == ["a@other"]
    assert response.json()["layer"]["shifts"] == 1


def test_webcal_addresses_mean_https() -> None:
    assert (
        feed_fetch.check_url(" webcal://calendar.example/team.ics ")
        == "https://calendar.example/team.ics"
    )
    with pytest.raises(FetchFailed):
        feed_fetch.check_url("webcal://")
