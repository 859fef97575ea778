"""Stakeholder updates: to followers and the plan's audiences by e-mail (a
real SMTP server on 127.0.0.1) and chat (Apprise to a local HTTP receiver),
on the plan's cadence with reminders to the communications lead."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.comms.stakeholders.cadence import cadence
from fireline.comms.stakeholders.jobs import CHECK_JOB
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.incidents.models import TimelineEvent
from fireline.plan import load_plan_file
from fireline.plan.loader import PlanError
from tests.comms.conftest import Mailbox, Receiver
from tests.conftest import Persona
from tests.web.helpers import csrf_from, sign_in

Personas = dict[str, Persona]

PLAN = """
organisation: {{name: Acme}}
classification: {{questions: []}}
audiences:
  - key: executives
    name: Executives
    emails: [cto@example.com, ceo@example.com]
    chat: ["json://127.0.0.1:{port}/exec-room"]
severities:
  - key: SEV1
    name: Service down
    response: 15m
    resolution: 1h
    update_every: 30m
    stakeholders: [executives]
  - key: SEV2
    name: Major degradation
    response: 30m
    resolution: 4h
"""


@pytest.fixture
def settings(
    database_url: str, smtp_server: Mailbox, receiver: Receiver, tmp_path: Path
) -> Settings:
    plan = tmp_path / "fireline.yaml"
    plan.write_text(PLAN.format(port=receiver.port))
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url="http://fireline.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        outbound_allow_private=True,
        plan=plan,
    )


def declare(client: TestClient, who: Persona, severity: str, **extra: object) -> str:
    response = client.post(
        "/api/v1/incidents",
        headers=who.headers,
        json={"title": "Checkout down", "type": "service_outage", "severity": severity, **extra},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


def recipients(mailbox: Mailbox, subject_part: str) -> list[str]:
    found = []
    for _, to, raw in mailbox.messages:
        mail = message_from_bytes(raw, policy=policy.default)
        if subject_part in str(mail["Subject"]):
            found += to
    return sorted(found)


def test_an_update_goes_to_followers_and_the_severity_audiences(
    client: TestClient,
    personas: Personas,
    mailbox: Mailbox,
    receiver: Receiver,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    assert client.put(
        f"/api/v1/incidents/{ref}/follow", headers=personas["viewer"].headers
    ).is_success
    posted = client.post(
        f"/api/v1/incidents/{ref}/stakeholder-updates",
        headers=personas["responder"].headers,
        json={"body": "Card payments fail; the provider is rolling back. Next update 10:30."},
    )
    assert posted.status_code == 201, posted.text
    run_jobs()
    assert recipients(mailbox, "SEV1 update") == [
        "ceo@example.com",
        "cto@example.com",
        "viewer@example.com",
    ]
    [room] = [r for r in receiver.requests if r.path == "/exec-room"]
    chat = json.loads(room.body)
    assert "Card payments fail" in chat["message"]
    assert ref in chat["title"]
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=personas["viewer"].headers)
    assert "stakeholder_update" in [e["kind"] for e in timeline.json()]


def test_a_restricted_incident_tells_its_followers_only(
    client: TestClient,
    personas: Personas,
    mailbox: Mailbox,
    receiver: Receiver,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"], "SEV1", restricted=True)
    client.post(
        f"/api/v1/incidents/{ref}/stakeholder-updates",
        headers=personas["responder"].headers,
        json={"body": "Contained."},
    )
    run_jobs()
    assert recipients(mailbox, "SEV1 update") == []
    assert receiver.requests == []
    # Someone who cannot see the incident cannot post to it either.
    refused = client.post(
        f"/api/v1/incidents/{ref}/stakeholder-updates",
        headers=personas["outsider"].headers,
        json={"body": "hello"},
    )
    assert refused.status_code == 404


def test_an_overdue_update_reminds_the_commander_once_and_an_update_restarts_the_clock(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    personas: Personas,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    path = f"/api/v1/incidents/{ref}/stakeholder-updates"
    state = client.get(path, headers=personas["viewer"].headers).json()
    assert (state["every_minutes"], state["overdue"]) == (30, False)
    declared = datetime.fromisoformat(state["next_due_at"]) - timedelta(minutes=30)

    def check() -> None:
        with db.transaction() as session:
            queue.enqueue(session, kind=CHECK_JOB, payload={}, now=clock.now())
        run_jobs()

    clock.advance(minutes=29)
    check()
    assert recipients(mailbox, "Stakeholder update due") == []
    clock.advance(minutes=2)
    check()
    check()  # once per due time, however often it is checked
    assert recipients(mailbox, "Stakeholder update due") == ["responder@example.com"]
    assert client.get(path, headers=personas["viewer"].headers).json()["overdue"] is True
    with db.session() as session:
        due_events = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "stakeholder_update_due")
        ).all()
    assert len(due_events) == 1

    client.post(path, headers=personas["responder"].headers, json={"body": "Still on it."})
    after = client.get(path, headers=personas["viewer"].headers).json()
    assert after["overdue"] is False
    assert datetime.fromisoformat(after["next_due_at"]) == declared + timedelta(minutes=61)
    assert [u["body"] for u in after["updates"]] == ["Still on it."]


def test_severities_without_a_cadence_owe_nothing(client: TestClient, personas: Personas) -> None:
    ref = declare(client, personas["responder"], "SEV2")
    state = client.get(
        f"/api/v1/incidents/{ref}/stakeholder-updates", headers=personas["viewer"].headers
    ).json()
    assert (state["every_minutes"], state["next_due_at"], state["overdue"]) == (None, None, False)


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_bad_updates_are_refused_naming_the_field(
    client: TestClient, personas: Personas, body: str
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    path = f"/api/v1/incidents/{ref}/stakeholder-updates"
    refused = client.post(path, headers=personas["responder"].headers, json={"body": body})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "body"
    assert client.get(path, headers=personas["viewer"].headers).json()["updates"] == []


def test_cadence_is_pure_arithmetic() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    every = timedelta(minutes=30)
    fresh = cadence(every=every, declared_at=t0, last_update_at=None, is_open=True, now=t0)
    assert (fresh.due_at, fresh.overdue) == (t0 + every, False)
    late = cadence(
        every=every,
        declared_at=t0,
        last_update_at=t0 + timedelta(minutes=10),
        is_open=True,
        now=t0 + timedelta(minutes=40),
    )
    assert (late.due_at, late.overdue) == (t0 + timedelta(minutes=40), True)
    closed = cadence(every=every, declared_at=t0, last_update_at=None, is_open=False, now=t0)
    assert (closed.due_at, closed.overdue) == (None, False)


def test_the_plan_names_known_audiences_and_real_addresses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        PLAN.format(port=1)
        .replace("stakeholders: [executives]", "stakeholders: [board]")
        .replace("cto@example.com", "cto-at-example")
    )
    with pytest.raises(PlanError) as raised:
        load_plan_file(bad)
    text = str(raised.value)
    assert "board" in text and "audience" in text
    assert "cto-at-example" in text


def test_the_incident_page_marks_an_overdue_update_and_posts_the_next(
    client: TestClient,
    clock: FixedClock,
    personas: Personas,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{ref}").text
    assert "Executives" in page and 'id="update-overdue"' not in page
    clock.advance(minutes=31)
    page = client.get(f"/incidents/{ref}").text
    assert 'id="update-overdue"' in page and 'id="stakeholder-overdue"' in page

    token = csrf_from(page)
    refused = client.post(
        f"/incidents/{ref}/stakeholder-update", data={"csrf_token": token, "body": "  "}
    )
    assert refused.status_code == 422
    assert 'id="stakeholders-body-error"' in refused.text
    posted = client.post(
        f"/incidents/{ref}/stakeholder-update",
        data={"csrf_token": token, "body": "Payments recovering; next update 10:15."},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    page = client.get(f"/incidents/{ref}").text
    assert 'id="update-overdue"' not in page
    assert "Payments recovering; next update 10:15." in page
    run_jobs()
    assert recipients(mailbox, "SEV1 update") == ["ceo@example.com", "cto@example.com"]


def test_a_viewer_cannot_post_stakeholder_updates_from_the_page(
    client: TestClient, personas: Personas
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{ref}").text
    assert "Send stakeholder update" not in page
    refused = client.post(
        f"/incidents/{ref}/stakeholder-update",
        data={"csrf_token": csrf_from(page), "body": "hello"},
    )
    assert refused.status_code == 403
