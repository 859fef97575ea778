"""Timers through the real worker and a real SMTP server: post-mortem
reminders and the overdue notice to the commander; action-item reminders to
the owner and escalation to the owner's team leads when overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.incidents.demo import principal_of
from fireline.incidents.queries import get_visible
from fireline.incidents.work import update_action_item
from fireline.people.models import User
from tests.comms.conftest import Mailbox, mailbox, smtp_server  # noqa: F401  (fixtures)
from tests.conftest import Persona
from tests.postmortems.conftest import declare, resolve, timeline_kinds

Personas = dict[str, Persona]


@pytest.fixture
def settings(database_url: str, smtp_server: Mailbox, tmp_path: Path) -> Settings:  # noqa: F811
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        evidence_dir=tmp_path / "evidence",
    )


def subjects(box: Mailbox, about: str = "") -> list[tuple[list[str], str]]:
    """(recipients, subject) of the messages whose subject mentions ``about``
    (SLA warnings of the same incidents go out too)."""
    found = []
    for _sender, rcpts, raw in box.messages:
        subject = str(message_from_bytes(raw, policy=policy.default)["subject"])
        if about.lower() in subject.lower():
            found.append((sorted(rcpts), subject))
    return found


def test_post_mortem_reminders_then_overdue_then_quiet_once_published(
    client: TestClient,
    personas: Personas,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    mailbox: Mailbox,  # noqa: F811
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV1")
    resolve(client, ref, responder)
    run_jobs()
    assert subjects(mailbox, "post-mortem") == [
        (["responder@example.com"], f"[{ref}] Post-mortem due 2026-03-09: Checkout returns 502")
    ]
    mailbox.messages.clear()

    clock.advance(days=5)  # Saturday 7 March, past the reminder two days before (09:00)
    run_jobs()
    clock.advance(days=2)  # Monday 9 March 09:00: due today
    run_jobs()
    clock.advance(days=1)  # Tuesday: overdue
    run_jobs()
    assert [s for _, s in subjects(mailbox, "post-mortem")] == [
        f"[{ref}] Post-mortem reminder: Checkout returns 502",
        f"[{ref}] Post-mortem reminder: Checkout returns 502",
        f"[{ref}] Post-mortem overdue: Checkout returns 502",
    ]
    kinds = timeline_kinds(client, ref, responder)
    assert kinds.count("postmortem_reminder") == 2 and kinds.count("postmortem_overdue") == 1
    overdue = client.get("/api/v1/postmortems?overdue=true", headers=responder.headers).json()
    assert [p["incident"] for p in overdue] == [ref]


def test_a_published_post_mortem_gets_no_more_reminders(
    client: TestClient,
    personas: Personas,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    db: Database,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    responder, manager = personas["responder"], personas["manager"]
    ref = declare(client, responder, "SEV2")
    resolve(client, ref, responder)
    run_jobs()
    url = f"/api/v1/incidents/{ref}/postmortem"
    client.post(url + "/reviewers", json={"user": manager.email}, headers=responder.headers)
    client.post(url + "/submit", headers=responder.headers)
    client.post(url + "/reviews", json={"decision": "approved"}, headers=manager.headers)
    assert client.post(url + "/publish", headers=responder.headers).status_code == 200
    run_jobs()
    mailbox.messages.clear()
    clock.advance(days=10)
    run_jobs()
    assert subjects(mailbox, "post-mortem") == []
    with db.session() as session:
        timers = session.scalars(select(Job).where(Job.kind == "postmortem.remind")).all()
        assert len(timers) == 3 and all(t.state == "done" for t in timers)


def test_action_items_remind_the_owner_and_escalate_to_team_leads(
    client: TestClient,
    personas: Personas,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    mailbox: Mailbox,  # noqa: F811
) -> None:
    manager, responder = personas["manager"], personas["responder"]
    assert (
        client.post(
            "/api/v1/teams", json={"slug": "platform", "name": "Platform"}, headers=manager.headers
        ).status_code
        == 201
    )
    for who, lead in ((manager, True), (responder, False)):
        added = client.post(
            "/api/v1/teams/platform/members",
            json={"user": who.email, "is_lead": lead},
            headers=manager.headers,
        )
        assert added.status_code == 201, added.text
    ref = declare(client, responder, "SEV3")
    items = f"/api/v1/incidents/{ref}/action-items"
    first = client.post(
        items,
        json={
            "title": "Alert on certificate expiry",
            "owner": responder.email,
            "due_date": "2026-03-06",
        },
        headers=responder.headers,
    ).json()
    moved = client.post(
        items,
        json={
            "title": "Rotate the staging key",
            "owner": responder.email,
            "due_date": "2026-03-04",
        },
        headers=responder.headers,
    ).json()
    # Closed before its reminder: no reminder, no escalation.
    client.patch(f"{items}/{moved['id']}", json={"status": "done"}, headers=responder.headers)
    run_jobs()
    clock.advance(days=2)  # Wednesday 4 March 09:00: two days before the first is due
    run_jobs()
    assert subjects(mailbox, "action item") == [
        (
            ["responder@example.com"],
            f"[{ref}] Action item due 2026-03-06: Alert on certificate expiry",
        )
    ]
    mailbox.messages.clear()
    clock.advance(days=3)  # Saturday 7 March: overdue
    run_jobs()
    assert sorted(subjects(mailbox, "action item")) == [
        (["manager@example.com"], f"[{ref}] Overdue action item: Alert on certificate expiry"),
        (["responder@example.com"], f"[{ref}] Overdue action item: Alert on certificate expiry"),
    ]
    kinds = timeline_kinds(client, ref, responder)
    assert kinds.count("action_item_reminder") == 1 and kinds.count("action_item_overdue") == 1
    board = client.get("/api/v1/action-items?overdue=true", headers=responder.headers).json()
    assert [(i["id"], i["overdue"]) for i in board] == [(first["id"], True)]
    closure = client.get("/api/v1/action-items/closure", headers=responder.headers).json()
    assert closure == {"on_time": 1, "late": 1, "pending": 0, "rate": 0.5}


def test_a_new_due_date_replaces_the_old_timers(
    client: TestClient,
    personas: Personas,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    db: Database,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV3")
    item = client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={
            "title": "Add a pooler health check",
            "owner": responder.email,
            "due_date": "2026-03-03",
        },
        headers=responder.headers,
    ).json()
    run_jobs()
    with db.transaction() as session:
        user = session.get(User, responder.user_id)
        assert user is not None
        who = principal_of(user)
        incident = get_visible(session, who, ref)
        later = clock.now().date() + timedelta(days=20)
        update_action_item(session, who, clock.now(), incident, item["id"], due_date=later)
    clock.advance(days=3)
    run_jobs()
    assert subjects(mailbox, "action item") == []
    with db.session() as session:
        overdue = session.scalars(select(Job).where(Job.kind == "action_item.overdue")).all()
        assert sorted(j.payload["due"] for j in overdue) == ["2026-03-03", "2026-03-22"]


def test_an_exercise_gets_no_post_mortem_of_its_own_and_sends_no_reminders(
    client: TestClient,
    personas: Personas,
    clock: FixedClock,
    run_jobs: Callable[[], int],
    db: Database,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV1")
    with db.transaction() as session:
        user = session.get(User, responder.user_id)
        assert user is not None
        get_visible(session, principal_of(user), ref).is_exercise = True
    client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={"title": "Practise the failover", "owner": responder.email, "due_date": "2026-03-03"},
        headers=responder.headers,
    )
    resolve(client, ref, responder)
    run_jobs()
    clock.advance(days=3)
    run_jobs()
    kinds = timeline_kinds(client, ref, responder)
    assert "postmortem_drafted" not in kinds and "action_item_overdue" in kinds
    assert subjects(mailbox, "action item") == [] and subjects(mailbox, "post-mortem") == []
