"""Exercise incidents are kept from real notifications unless their run chose
``notify``: one test per place that notifies, each both ways. The public
status page never shows an exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fireline.comms.rooms import service as rooms
from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.incidents.models import TimelineEvent
from fireline.notify.email import KIND as EMAIL_JOB
from fireline.oncall.models import Page
from tests.conftest import Persona

Start = Callable[..., dict[str, Any]]
Personas = dict[str, Persona]
BOTH_WAYS = pytest.mark.parametrize("notify", [False, True], ids=["quiet", "notify"])


def jobs(db: Database, kind: str) -> list[Job]:
    with db.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind)))


def pages(db: Database, subject_type: str) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Page).where(Page.subject_type == subject_type)
            )
            or 0
        )


def on_call_for_postgres(client: TestClient, personas: Personas) -> None:
    manager = personas["manager"].headers
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "db-oncall",
            "name": "DB on-call",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [{"type": "user", "id": personas["responder"].user_id}],
                }
            ],
        },
        headers=manager,
    )
    assert policy.status_code == 201, policy.text
    linked = client.put(
        "/api/v1/services/postgres-main/escalation-policy",
        json={"escalation_policy": "db-oncall"},
        headers=manager,
    )
    assert linked.status_code == 204, linked.text


@BOTH_WAYS
def test_the_on_call_commander_is_paged_at_declaration_only_when_allowed(
    client: TestClient, personas: Personas, start: Start, db: Database, notify: bool
) -> None:
    on_call_for_postgres(client, personas)
    start(notify=notify)
    assert pages(db, "incident") == (1 if notify else 0)


@BOTH_WAYS
def test_an_alert_inject_pages_its_service_only_when_allowed(
    client: TestClient,
    personas: Personas,
    start: Start,
    db: Database,
    run_jobs: Callable[[], int],
    notify: bool,
) -> None:
    on_call_for_postgres(client, personas)
    start(notify=notify)
    run_jobs()  # the 0m alert inject, then its group's page job
    assert pages(db, "alert_group") == (1 if notify else 0)
    if not notify:
        group = client.get("/api/v1/alert-groups", headers=personas["viewer"].headers).json()
        assert group, "the alert went through the pipeline"


@BOTH_WAYS
def test_sla_emails_go_out_only_when_allowed(
    client: TestClient,
    personas: Personas,
    start: Start,
    db: Database,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    notify: bool,
) -> None:
    run = start("sev1-checkout-outage", notify=notify)
    ref = run["incident"]["ref"]
    assigned = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": "incident_commander", "user": "responder@example.com"},
        headers=personas["manager"].headers,
    )
    assert assigned.status_code in (200, 201), assigned.text
    clock.advance(minutes=16)
    run_jobs()
    with db.session() as session:
        kinds = set(
            session.scalars(select(TimelineEvent.kind).where(TimelineEvent.kind.like("sla_%")))
        )
    assert kinds == {"sla_warning", "sla_breached"}  # the timeline has them either way
    sla_mails = [j for j in jobs(db, EMAIL_JOB) if "SLA" in j.payload["subject"]]
    assert bool(sla_mails) is notify
    assert all("[EXERCISE]" in j.payload["subject"] for j in sla_mails)


@BOTH_WAYS
def test_stakeholder_updates_are_mailed_only_when_allowed(
    client: TestClient,
    personas: Personas,
    start: Start,
    db: Database,
    run_jobs: Callable[[], int],
    notify: bool,
) -> None:
    ref = start(notify=notify)["incident"]["ref"]
    followed = client.put(f"/api/v1/incidents/{ref}/follow", headers=personas["viewer"].headers)
    assert followed.status_code in (200, 204), followed.text
    posted = client.post(
        f"/api/v1/incidents/{ref}/stakeholder-updates",
        json={"body": "Two hosts isolated; backups being checked."},
        headers=personas["responder"].headers,
    )
    assert posted.status_code == 201, posted.text
    run_jobs()
    updates = [j for j in jobs(db, EMAIL_JOB) if "update" in j.payload["subject"]]
    assert [j.payload["to"] for j in updates] == (["viewer@example.com"] if notify else [])
    assert all(j.payload["subject"].startswith(f"[{ref}] SEV2 update: [EXERCISE]") for j in updates)


@BOTH_WAYS
def test_chat_rooms_hear_of_an_exercise_only_when_allowed(
    personas: Personas, start: Start, db: Database, clock: FixedClock, notify: bool
) -> None:
    with db.transaction() as session:
        rooms.add_room(
            session,
            actor=Actor.system("tests"),
            now=clock.now(),
            name="#incidents",
            kind="webhook",
            target={"url": "http://127.0.0.1:9/room"},
            events=["declared", "severity_changed", "status_changed"],
        )
    start(notify=notify)
    assert bool(jobs(db, rooms.SEND_JOB)) is notify


@BOTH_WAYS
def test_slack_opens_a_channel_only_when_allowed(start: Start, db: Database, notify: bool) -> None:
    start(notify=notify)
    assert len(jobs(db, "slack.channel")) == (1 if notify else 0)


@BOTH_WAYS
def test_the_status_page_never_shows_an_exercise(
    client: TestClient, personas: Personas, start: Start, notify: bool
) -> None:
    ref = start(notify=notify)["incident"]["ref"]
    response = client.post(
        f"/api/v1/incidents/{ref}/public-updates",
        json={"body": "We are investigating.", "status": "investigating"},
        headers=personas["responder"].headers,
    )
    assert response.status_code == 409
    assert "exercise" in response.json()["error"]["message"]
    public = client.get("/api/v2/incidents.json")
    assert public.status_code == 200 and public.json()["incidents"] == []
