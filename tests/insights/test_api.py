"""GET /api/v1/insights against incidents declared through the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.incidents.models import Incident
from fireline.incidents.queries import parse_ref
from fireline.oncall.models import Notification, Page
from fireline.postmortems.models import PostMortem
from tests.conftest import START, Persona
from tests.insights.conftest import incident

pytestmark = pytest.mark.usefixtures("catalogue")


def insights(client: TestClient, persona: Persona, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/insights", params=params, headers=persona.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def flag_exercise(db: Database, ref: str) -> None:
    with db.transaction() as session:
        found = session.get(Incident, parse_ref(ref))
        assert found is not None
        found.is_exercise = True


def test_times_sla_counts_and_repeats_from_milestones(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock, db: Database
) -> None:
    responder = personas["responder"]
    # Started 10 min before it was declared, detected 4 min in, acknowledged 5
    # min after the declaration, resolved 50 min after it: within SEV1's SLAs.
    incident(
        client, clock, responder, severity="SEV1", detected_after=4, ack_after=5, resolve_after=50
    )
    # Acknowledged after 30 min and resolved after 90: both SEV1 clocks missed.
    incident(
        client,
        clock,
        responder,
        severity="SEV1",
        service="checkout",
        title="Card payments fail",
        started_minutes_ago=5,
        ack_after=30,
        resolve_after=90,
    )
    # The same trouble again on the same service, still open.
    incident(client, clock, responder, title="Connection pool exhausted on the database")
    drill = incident(client, clock, responder, severity="SEV1", resolve_after=600)
    flag_exercise(db, drill)

    body = insights(client, personas["viewer"])
    assert body["incidents"]["total"] == 3  # the exercise is left out
    assert body["incidents"]["by_service"] == {"database": 2, "checkout": 1}
    assert body["incidents"]["by_severity"] == {"SEV1": 2, "SEV2": 1}
    times = body["times"]
    # 4 min; 5 and 10 min for those detected by their declaration.
    assert (times["mttd"]["median_seconds"], times["mttd"]["p90_seconds"]) == (300, 600)
    # 11 min from the detection (6 min before the declaration) to 5 min after
    # it; 30 min; and none for the one whose declarer took command at once.
    assert times["mtta"]["count"] == 3 and times["mtta"]["median_seconds"] == 660
    assert times["mttr"] == {
        "count": 2,
        "missing": 1,
        "mean_seconds": 4650.0,
        "median_seconds": 4650.0,
        "p90_seconds": 5700.0,
    }
    sev1 = body["sla"]["by_severity"][0]
    assert sev1["severity"] == "SEV1" and sev1["incidents"] == 2
    assert (sev1["response"]["met"], sev1["response"]["missed"], sev1["response"]["rate"]) == (
        1,
        1,
        0.5,
    )
    assert sev1["resolution"]["rate"] == 0.5
    sev2 = body["sla"]["by_severity"][1]
    # Still open ten hours on (the drill's), past its 4 h deadline: missed already.
    assert (sev2["resolution"]["missed"], sev2["resolution"]["pending"]) == (1, 0)
    repeats = body["repeats"]
    assert repeats["count"] == 1
    assert repeats["incidents"][0]["service"] == "database"
    assert repeats["incidents"][0]["matched_on"] == "title"
    assert body["period"]["days"] == 90 and body["period"]["unit"] == "week"
    assert [b["label"] for b in body["incidents"]["over_time"]][-1] == "Mar 02"
    assert body["incidents"]["over_time"][-1]["total"] == 3
    assert body["benchmarks"][0]["source"].startswith("DORA")


def test_filters_by_severity_service_and_team(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"]
    incident(client, clock, responder, severity="SEV1")
    incident(client, clock, responder, severity="SEV3", service="checkout", title="Slow basket")
    incident(client, clock, responder, severity="SEV3", title="Replica lag")
    viewer = personas["viewer"]
    assert insights(client, viewer, severity="sev3")["incidents"]["total"] == 2
    assert insights(client, viewer, severity="1")["filters"]["severity"] == "SEV1"
    assert insights(client, viewer, service="checkout")["incidents"]["by_service"] == {
        "checkout": 1
    }
    by_team = insights(client, viewer, team="platform")
    assert by_team["incidents"]["total"] == 2 and by_team["filters"]["team"] == "platform"


def test_restricted_incidents_count_only_for_those_who_may_see_them(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    incident(client, clock, personas["responder"], restricted=True, resolve_after=30)
    incident(client, clock, personas["responder"], title="Public trouble")
    assert insights(client, personas["outsider"])["incidents"]["total"] == 1
    assert insights(client, personas["responder"])["incidents"]["total"] == 2
    assert insights(client, personas["admin"])["incidents"]["total"] == 2
    assert insights(client, personas["outsider"])["times"]["mttr"]["count"] == 0


def test_the_previous_period_and_the_deltas(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    responder = personas["responder"]
    incident(client, clock, responder, resolve_after=110)  # 2 h from the start
    clock.set(START + timedelta(days=40))
    incident(client, clock, responder, title="Disk full", resolve_after=50)  # 1 h
    body = insights(client, personas["viewer"], preset="30d")
    assert body["period"]["since"] == "2026-03-13" and body["period"]["until"] == "2026-04-11"
    assert body["previous"]["period"]["until"] == "2026-03-12"
    assert body["incidents"]["total"] == 1 and body["previous"]["incidents"]["total"] == 1
    mttr = body["deltas"]["mttr"]
    assert (mttr["current"], mttr["previous"], mttr["change"]) == (3600, 7200, -3600)
    assert (mttr["direction"], mttr["better"]) == ("down", True)
    assert body["deltas"]["incidents"]["better"] is None
    custom = insights(client, personas["viewer"], since="2026-03-01", until="2026-03-02")
    assert custom["incidents"]["total"] == 1 and custom["previous"]["period"]["days"] == 2


def test_postmortems_action_items_and_pages(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock, db: Database
) -> None:
    responder = personas["responder"]
    published = incident(client, clock, responder, severity="SEV1", resolve_after=30)
    missing = incident(client, clock, responder, severity="SEV2", title="Other", resolve_after=60)
    incident(client, clock, responder, severity="SEV3", title="Minor")  # needs no post-mortem
    headers = responder.headers
    items = [
        client.post(
            f"/api/v1/incidents/{published}/action-items",
            json={"title": title, "due_date": due.isoformat()},
            headers=headers,
        ).json()["id"]
        for title, due in (
            ("Alert on pool saturation", date(2026, 3, 5)),
            ("Load test", date(2026, 3, 3)),
            ("Runbook", date(2026, 3, 20)),
        )
    ]
    clock.set(START + timedelta(days=2))  # the first closed on time
    client.patch(
        f"/api/v1/incidents/{published}/action-items/{items[0]}",
        json={"status": "done"},
        headers=headers,
    )
    with db.transaction() as session:
        now = clock.now()
        session.add(
            PostMortem(
                incident_id=parse_ref(published),
                status="published",
                title="Pool exhaustion",
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        )
        session.add(
            PostMortem(
                incident_id=parse_ref(missing),
                status="draft",
                title="x",
                created_at=now,
                updated_at=now,
            )
        )
        page = Page(
            subject_type="incident",
            subject_id=parse_ref(published),
            title="Pool",
            urgency="high",
            started_at=START,
        )
        session.add(page)
        session.flush()
        # One at 03:00 on a Tuesday (night), one at 10:00 (working hours), both to the responder.
        for at in (START + timedelta(hours=18), START + timedelta(days=1, hours=1)):
            session.add(
                Notification(
                    page_id=page.id,
                    user_id=responder.user_id,
                    kind="page",
                    channel="log",
                    status="sent",
                    created_at=at,
                    sent_at=at,
                )
            )
    clock.set(START + timedelta(days=10))  # the second is now overdue and late
    body = insights(client, personas["viewer"])
    assert body["postmortems"] == {
        "required": 2,
        "published": 1,
        "completion": 0.5,
        "missing": [missing],
    }
    items_out = body["action_items"]
    assert (items_out["total"], items_out["closed"], items_out["open"]) == (3, 1, 2)
    assert (items_out["open_overdue"], items_out["on_time"], items_out["late"]) == (1, 1, 1)
    assert items_out["on_time_rate"] == 0.5
    oncall = body["oncall"]
    assert oncall["pages"] == 1
    person = oncall["people"][0]
    assert (person["email"], person["notifications"], person["off_hours"]) == (
        "responder@example.com",
        2,
        1,
    )
    # Pages for an exercise are not load.
    flag_exercise(db, published)
    assert insights(client, personas["viewer"])["oncall"]["pages"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"since": "2024-01-01", "until": "2026-03-01"}, "since"),
        ({"preset": "forever"}, "preset"),
        ({"severity": "SEV9"}, "severity"),
        ({"service": "nope"}, "service"),
        ({"team": "nope"}, "team"),
        ({"since": "2026-03-01" * 3}, "since"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, personas: dict[str, Persona], params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/insights", params=params, headers=personas["viewer"].headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["field"] == field
