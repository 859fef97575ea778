"""On-call load: the pure counting (each person on their own clock, DST
weeks included), the report over real pages sent by the paging engine, and
the CLI against a running server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.oncall import load
from fireline.oncall.load import OnCall, Person, Sent
from fireline.oncall.models import Notification, Page
from fireline.people.models import User
from tests.alerts.conftest import MakeIntegration, make_integration, services
from tests.alerts.test_ingest import pd_event
from tests.conftest import LiveServer, Persona
from tests.test_cli import env_for, run

__all__ = ["make_integration", "services"]

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
ALICE, BOB = 1, 2


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- pure -------------------------------------------------------------------------


def test_working_hours_and_sleep_are_read_on_the_persons_own_clock() -> None:
    evening_in_berlin = utc(2026, 3, 2, 17, 30)  # Monday, 18:30 in Berlin
    assert load.is_off_hours(evening_in_berlin, BERLIN)
    assert not load.is_off_hours(evening_in_berlin, UTC_ZONE)

    early_morning = utc(2026, 3, 2, 6, 30)  # 07:30 in Berlin, 06:30 in UTC
    assert not load.is_sleep_hours(early_morning, BERLIN)
    assert load.is_sleep_hours(early_morning, UTC_ZONE)
    assert load.is_off_hours(early_morning, BERLIN)  # awake, but not at work yet

    saturday_noon = utc(2026, 3, 7, 12)
    assert load.is_off_hours(saturday_noon, UTC_ZONE)
    assert not load.is_sleep_hours(saturday_noon, UTC_ZONE)

    # The edges: 09:00 starts the working day, 18:00 ends it; 22:00 starts the night, 07:00 ends it.
    assert not load.is_off_hours(utc(2026, 3, 3, 9), UTC_ZONE)
    assert load.is_off_hours(utc(2026, 3, 3, 18), UTC_ZONE)
    assert load.is_sleep_hours(utc(2026, 3, 3, 22), UTC_ZONE)
    assert not load.is_sleep_hours(utc(2026, 3, 3, 7), UTC_ZONE)


def test_a_week_is_monday_to_monday_where_the_person_lives() -> None:
    [week] = load.weeks(date(2026, 3, 23), date(2026, 3, 30), BERLIN)
    label, start, end = week
    assert label == "2026-W13"
    assert start == datetime(2026, 3, 23, tzinfo=BERLIN)
    assert start == utc(2026, 3, 22, 23)  # CET
    assert end == utc(2026, 3, 29, 22)  # CEST: the clocks sprang forward
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)

    # Days that do not start on a Monday give a partial first week.
    labels = [
        (label, s.date(), e.date())
        for label, s, e in load.weeks(date(2026, 3, 4), date(2026, 3, 17), UTC_ZONE)
    ]
    assert labels == [
        ("2026-W10", date(2026, 3, 4), date(2026, 3, 9)),
        ("2026-W11", date(2026, 3, 9), date(2026, 3, 16)),
        ("2026-W12", date(2026, 3, 16), date(2026, 3, 17)),
    ]


def test_hours_on_call_follow_dst_in_the_persons_zone() -> None:
    always = [
        OnCall(ALICE, utc(2026, 1, 1), utc(2027, 1, 1)),
        OnCall(BOB, utc(2026, 1, 1), utc(2027, 1, 1)),
    ]
    people = [Person(ALICE, "Europe/Berlin"), Person(BOB, "UTC")]

    spring = load.report(people, [], always, date(2026, 3, 23), date(2026, 3, 30))
    assert [p.weeks[0].counts.hours_on_call for p in spring] == [167.0, 168.0]
    # The week the clocks fall back (25 October 2026) has an hour more.
    autumn = load.report(people, [], always, date(2026, 10, 19), date(2026, 10, 26))
    assert autumn[0].weeks[0].label == "2026-W43"
    assert [p.weeks[0].counts.hours_on_call for p in autumn] == [169.0, 168.0]


def test_being_on_call_for_two_schedules_at_once_counts_once() -> None:
    shifts = [
        OnCall(ALICE, utc(2026, 3, 2, 0), utc(2026, 3, 2, 12)),  # schedule A
        OnCall(ALICE, utc(2026, 3, 2, 6), utc(2026, 3, 2, 18)),  # schedule B, overlapping
        OnCall(ALICE, utc(2026, 3, 3, 0), utc(2026, 3, 3, 1)),
        OnCall(BOB, utc(2026, 3, 2, 0), utc(2026, 3, 9, 0)),  # someone else's
    ]
    [alice] = load.report([Person(ALICE, "UTC")], [], shifts, date(2026, 3, 2), date(2026, 3, 9))
    assert alice.weeks[0].counts.hours_on_call == 19.0
    assert alice.total.hours_on_call == 19.0


def test_shifts_are_cut_at_the_week_boundary() -> None:
    weekend = [
        OnCall(ALICE, utc(2026, 3, 7, 12), utc(2026, 3, 10, 12))
    ]  # Saturday noon to Tuesday noon
    [alice] = load.report([Person(ALICE, "UTC")], [], weekend, date(2026, 3, 2), date(2026, 3, 16))
    assert [(w.label, w.counts.hours_on_call) for w in alice.weeks] == [
        ("2026-W10", 36.0),
        ("2026-W11", 36.0),
    ]


def test_notifications_pages_and_the_hours_they_came_at() -> None:
    sent = [
        Sent(ALICE, 10, utc(2026, 3, 2, 8)),  # Monday 09:00 in Berlin: working hours
        Sent(ALICE, 10, utc(2026, 3, 2, 8, 5)),  # the same page, again
        Sent(ALICE, 11, utc(2026, 3, 3, 1)),  # 02:00 in Berlin: asleep
        Sent(ALICE, 12, utc(2026, 3, 7, 10)),  # Saturday, 11:00
        Sent(BOB, 13, utc(2026, 3, 3, 1)),  # not Alice's
    ]
    [alice] = load.report(
        [Person(ALICE, "Europe/Berlin")], sent, [], date(2026, 3, 2), date(2026, 3, 9)
    )
    assert alice.weeks[0].counts == load.Counts(
        pages=3, notifications=4, off_hours=2, sleep_hours=1, hours_on_call=0.0
    )


def test_a_notification_belongs_to_the_week_of_the_persons_calendar() -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin, still Sunday 18:30 in New York.
    sent = [Sent(ALICE, 1, utc(2026, 3, 1, 23, 30)), Sent(BOB, 1, utc(2026, 3, 1, 23, 30))]
    people = [Person(ALICE, "Europe/Berlin"), Person(BOB, "America/New_York")]
    alice, bob = load.report(people, sent, [], date(2026, 2, 23), date(2026, 3, 9))
    assert [(w.label, w.counts.notifications) for w in alice.weeks] == [
        ("2026-W09", 0),
        ("2026-W10", 1),
    ]
    assert [(w.label, w.counts.notifications) for w in bob.weeks] == [
        ("2026-W09", 1),
        ("2026-W10", 0),
    ]
    assert alice.weeks[1].counts.sleep_hours == 1 and bob.weeks[0].counts.sleep_hours == 0


def test_a_page_in_two_weeks_counts_in_each_but_once_in_the_total() -> None:
    sent = [Sent(ALICE, 7, utc(2026, 3, 8, 23)), Sent(ALICE, 7, utc(2026, 3, 9, 1))]
    [alice] = load.report([Person(ALICE, "UTC")], sent, [], date(2026, 3, 2), date(2026, 3, 16))
    assert [w.counts.pages for w in alice.weeks] == [1, 1]
    assert alice.total.pages == 1 and alice.total.notifications == 2


def test_days_outside_the_report_and_unknown_zones() -> None:
    sent = [Sent(ALICE, 1, utc(2026, 3, 1, 12)), Sent(ALICE, 2, utc(2026, 3, 9, 0))]
    [alice] = load.report(
        [Person(ALICE, "Mars/Olympus")], sent, [], date(2026, 3, 2), date(2026, 3, 9)
    )
    assert alice.total.notifications == 0  # read on UTC: both fall just outside
    assert alice.weeks[0].start == utc(2026, 3, 2)
    with pytest.raises(ValueError):
        load.report([], [], [], date(2026, 3, 2), date(2026, 3, 2))


# --- over the API, with pages sent by the paging engine ---------------------------------


def _set_time_zone(db: Database, user_id: int | None, zone: str) -> None:
    with db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.time_zone = zone


def _always_on_call(client: TestClient, personas: dict[str, Persona], who: str) -> None:
    response = client.post(
        "/api/v1/schedules",
        json={
            "slug": "primary",
            "name": "Primary",
            "time_zone": "UTC",
            "layers": [{"users": [personas[who].email], "handoff": "2026-01-05T00:00"}],
        },
        headers=personas["manager"].headers,
    )
    assert response.status_code == 201, response.text


def _page_through_log_phone(
    client: TestClient, personas: dict[str, Persona], who: str, make_integration: MakeIntegration
) -> None:
    added = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "log", "target": {"name": f"{who} phone"}},
        headers=personas[who].headers,
    )
    assert added.status_code == 201, added.text
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "api-oncall",
            "name": "API on call",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "user", "id": personas[who].user_id}]}
            ],
        },
        headers=personas["manager"].headers,
    )
    assert policy.status_code == 201, policy.text
    linked = client.put(
        "/api/v1/services/api/escalation-policy",
        json={"escalation_policy": "api-oncall"},
        headers=personas["manager"].headers,
    )
    assert linked.status_code == 204, linked.text
    key = make_integration("pagerduty")["key"]
    triggered = client.post("/v2/enqueue", json=pd_event(key))
    assert triggered.status_code == 202, triggered.text


def _add_rows(db: Database, page_id: int, *rows: dict[str, Any]) -> None:
    with db.transaction() as session:
        for row in rows:
            at = row.pop("at")
            session.add(
                Notification(
                    page_id=page_id,
                    channel="log",
                    created_at=at,
                    sent_at=at,
                    **{"kind": "page", **row},
                )
            )


def _people(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {person["user"]["name"]: person for person in body["people"]}


def test_the_load_report_counts_what_the_paging_engine_sent(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    clock: FixedClock,
    make_integration: MakeIntegration,
    run_jobs: Callable[[], int],
) -> None:
    responder, manager = personas["responder"], personas["manager"]
    _set_time_zone(db, responder.user_id, "America/New_York")
    _always_on_call(client, personas, "responder")
    # 09:00 UTC on Monday 2 March is 04:00 in New York.
    _page_through_log_phone(client, personas, "responder", make_integration)
    run_jobs()
    with db.session() as session:
        sent = session.scalars(
            select(Notification).where(Notification.kind == "page", Notification.status == "sent")
        ).all()
        assert [(n.user_id, n.sent_at) for n in sent] == [(responder.user_id, clock.now())]
        page_id = sent[0].page_id
        assert page_id is not None and session.get(Page, page_id) is not None
    _add_rows(
        db,
        page_id,
        # The same page again on Wednesday, 10:00 in New York.
        {"user_id": responder.user_id, "status": "sent", "at": utc(2026, 3, 4, 15)},
        # Neither a failed page nor a test message is load.
        {"user_id": responder.user_id, "status": "failed", "at": utc(2026, 3, 4, 3)},
        {"user_id": responder.user_id, "status": "sent", "kind": "test", "at": utc(2026, 3, 4, 3)},
        # Saturday noon for the manager, who lives on UTC.
        {"user_id": manager.user_id, "status": "sent", "at": utc(2026, 3, 7, 12)},
    )

    response = client.get(
        "/api/v1/oncall/load",
        params={"start": "2026-03-02", "end": "2026-03-09"},
        headers=personas["viewer"].headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["team"]) == ("2026-03-02", "2026-03-09", None)
    people = _people(body)
    assert list(people) == ["Manager", "Responder"]  # the viewer had no load
    [week] = people["Responder"]["weeks"]
    assert week["week"] == "2026-W10"
    assert datetime.fromisoformat(week["start"]) == datetime(2026, 3, 2, tzinfo=NEW_YORK)
    assert {k: week[k] for k in ("pages", "notifications", "off_hours", "sleep_hours")} == {
        "pages": 1,
        "notifications": 2,
        "off_hours": 1,
        "sleep_hours": 1,
    }
    # New York moved its clocks forward on Sunday 8 March.
    assert week["hours_on_call"] == 167.0
    manager_week = people["Manager"]["weeks"][0]
    assert (
        manager_week["notifications"],
        manager_week["off_hours"],
        manager_week["sleep_hours"],
    ) == (1, 1, 0)
    assert manager_week["hours_on_call"] == 0.0

    team = client.post(
        "/api/v1/teams", json={"slug": "ops", "name": "Ops"}, headers=manager.headers
    )
    assert team.status_code == 201, team.text
    for who in ("responder", "viewer"):
        added = client.post(
            "/api/v1/teams/ops/members", json={"user": personas[who].email}, headers=manager.headers
        )
        assert added.status_code == 201, added.text
    by_team = client.get(
        "/api/v1/oncall/load",
        params={"start": "2026-03-02", "end": "2026-03-09", "team": "ops"},
        headers=personas["viewer"].headers,
    ).json()
    people = _people(by_team)
    assert list(people) == ["Responder", "Viewer"]  # a quiet member is part of the picture
    assert people["Viewer"]["total"] == {
        "pages": 0,
        "notifications": 0,
        "off_hours": 0,
        "sleep_hours": 0,
        "hours_on_call": 0.0,
    }
    assert people["Responder"]["total"]["notifications"] == 2


def test_the_load_report_defaults_to_four_weeks(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    response = client.get("/api/v1/oncall/load", headers=personas["viewer"].headers)
    assert response.status_code == 200, response.text
    # The test clock stands on Monday 2 March 2026.
    assert (response.json()["start"], response.json()["end"]) == ("2026-02-09", "2026-03-03")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-03-09", "end": "2026-03-02"}, "end"),
        ({"start": "2026-01-01", "end": "2026-12-31"}, "end"),
        ({"team": "no-such-team"}, "team"),
    ],
)
def test_the_load_report_names_the_field_it_cannot_use(
    client: TestClient, personas: dict[str, Persona], params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/oncall/load", params=params, headers=personas["viewer"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_the_cli_shows_the_load_of_recent_weeks(
    client: TestClient, live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    _always_on_call(client, personas, "responder")
    env = env_for(live_server, personas["viewer"], tmp_path)

    result = run(["oncall", "load", "--weeks", "2", "--json"], env)
    assert result.exit_code == 0, result.output
    [person] = json.loads(result.output)["people"]
    assert person["user"]["name"] == "Responder"
    # This week so far and the whole week before it, on call all along.
    assert len(person["weeks"]) == 2
    assert person["weeks"][0]["hours_on_call"] == 168.0

    table = run(["oncall", "load", "--weeks", "1"], env)
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:2] == ["PERSON", "WEEK"]
    assert "Responder" in table.output

    refused = run(["oncall", "load", "--weeks", "27"], env)
    assert refused.exit_code == 2 and "--weeks" in refused.output
