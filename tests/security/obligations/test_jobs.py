"""Reminders before obligation deadlines and an escalation when one is
missed: timer jobs in the jobs table, events on the timeline, e-mail to the
incident's legal and privacy people and its commander (escalations also to
the severity's contacts) through a real SMTP server on 127.0.0.1."""

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
from fireline.incidents.models import TimelineEvent
from tests.comms.conftest import Mailbox, mailbox, smtp_server
from tests.conftest import START
from tests.security.obligations.conftest import Personas, attach, declare

__all__ = ["mailbox", "smtp_server"]

PLAN = """
organisation: {name: Acme, time_zone: Europe/Berlin}
classification: {questions: []}
severities:
  - {key: SEV1, name: Down, response: 15m, resolution: 1h}
  - key: SEV2
    name: Degraded
    response: 30m
    resolution: best effort
    escalation_contacts: [ciso@example.com]
obligation_reminders: [24h, 1h]
"""


@pytest.fixture
def settings(database_url: str, smtp_server: Mailbox, tmp_path: Path) -> Settings:
    plan = tmp_path / "fireline.yaml"
    plan.write_text(PLAN)
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url="http://fireline.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        plan=plan,
        evidence_dir=tmp_path / "evidence",
    )


def mails(box: Mailbox) -> list[tuple[str, list[str], str]]:
    """The obligation mails (subject, recipients, text); SLA mails are not ours."""
    found = []
    for _, to, raw in box.messages:
        message = message_from_bytes(raw, policy=policy.default)
        if "] Due: " not in str(message["Subject"]) and "] Missed: " not in str(message["Subject"]):
            continue
        body = message.get_body(("plain",))
        found.append((str(message["Subject"]), sorted(to), body.get_content() if body else ""))
    return found


def events(db: Database, kind_prefix: str = "obligation_") -> list[TimelineEvent]:
    with db.session() as session:
        return list(
            session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.kind.like(f"{kind_prefix}%"))
                .order_by(TimelineEvent.id)
            )
        )


def assign(client: TestClient, personas: Personas, ref: str, role: str, email: str) -> None:
    response = client.post(
        f"/api/v1/incidents/{ref}/roles",
        headers=personas["responder"].headers,
        json={"role": role, "user": email},
    )
    assert response.status_code == 201, response.text


def test_reminders_then_an_escalation_reach_legal_privacy_commander_and_contacts(
    client: TestClient,
    personas: Personas,
    db: Database,
    clock: FixedClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"])  # the responder commands it
    assign(client, personas, ref, "legal", "viewer@example.com")
    assign(client, personas, ref, "privacy", "manager@example.com")
    attach(
        client,
        personas["responder"],
        ref,
        "gdpr",
        trigger_at=(START - timedelta(hours=40)).isoformat(),
    )
    deadline = START + timedelta(hours=32)
    with db.session() as session:
        timers = session.scalars(
            select(Job).where(Job.kind.like("obligation.%")).order_by(Job.due_at)
        ).all()
        assert [(t.kind, t.due_at) for t in timers] == [
            ("obligation.remind", deadline - timedelta(hours=24)),
            ("obligation.remind", deadline - timedelta(hours=1)),
            ("obligation.escalate", deadline + timedelta(seconds=1)),
        ]

    clock.advance(hours=8, minutes=1)
    run_jobs()
    [reminder] = events(db)[-1:]
    assert reminder.kind == "obligation_reminder" and not reminder.pinned
    assert reminder.body == (
        "GDPR Art. 33/34, supervisory authority: due 2026-03-03 18:00 CET (17:00 UTC), 23h 59m left"
    )
    sent = mails(mailbox)  # one message per recipient
    assert {subject for subject, _, _ in sent} == {
        f"[{ref}] Due: GDPR Art. 33/34, supervisory authority"
    }
    assert sorted(a for _, to, _ in sent for a in to) == [
        "manager@example.com",
        "responder@example.com",
        "viewer@example.com",
    ]
    assert f"http://fireline.test/incidents/{ref}/obligations" in sent[0][2]

    # Past the deadline the one-hour reminder finds it missed and stays quiet;
    # the escalation goes out, to the severity's contacts as well.
    mailbox.messages.clear()
    clock.advance(hours=24)
    run_jobs()
    kinds = [e.kind for e in events(db) if e.kind in ("obligation_reminder", "obligation_missed")]
    assert kinds == ["obligation_reminder", "obligation_missed"]
    missed = events(db)[-1]
    assert missed.pinned and "passed and nothing is recorded as submitted" in missed.body
    sent = mails(mailbox)
    assert {subject for subject, _, _ in sent} == {
        f"[{ref}] Missed: GDPR Art. 33/34, supervisory authority"
    }
    assert sorted(a for _, to, _ in sent for a in to) == [
        "ciso@example.com",
        "manager@example.com",
        "responder@example.com",
        "viewer@example.com",
    ]


def test_timers_of_a_submitted_stage_or_a_moved_deadline_do_nothing(
    client: TestClient,
    personas: Personas,
    db: Database,
    clock: FixedClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"])
    attach(client, personas["responder"], ref, "nis2", trigger_at=START.isoformat())
    clock.advance(hours=1)
    sent = client.post(
        f"/api/v1/incidents/{ref}/obligations/nis2/submissions",
        headers=personas["responder"].headers,
        json={"stage": "early_warning", "at": clock.now().isoformat(), "authority": "BSI"},
    )
    assert sent.status_code == 201, sent.text
    # The trigger was earlier than first thought: every deadline moves two hours forward.
    corrected = client.post(
        f"/api/v1/incidents/{ref}/obligations/nis2/moments",
        headers=personas["responder"].headers,
        json={"at": (START - timedelta(hours=2)).isoformat(), "note": "first exfiltration 07:00"},
    )
    assert corrected.status_code == 201, corrected.text

    clock.advance(hours=24)  # past the early warning's deadline: submitted, so quiet
    run_jobs()
    assert [e.kind for e in events(db)] == [
        "obligation_attached",
        "obligation_moment",
        "obligation_submitted",
        "obligation_moment",
    ]
    clock.advance(hours=24)  # START + 49 h: the notification's 24 h reminder, once
    run_jobs()
    reminders = [e for e in events(db) if e.kind == "obligation_reminder"]
    assert [r.data["deadline"] for r in reminders] == ["2026-03-05T07:00:00+00:00"]
    assert [s for s, _, _ in mails(mailbox)] == [
        f"[{ref}] Due: NIS2 Art. 23, incident notification"
    ]


def test_a_detached_obligation_is_not_escalated(
    client: TestClient,
    personas: Personas,
    db: Database,
    clock: FixedClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], int],
) -> None:
    ref = declare(client, personas["responder"])
    attach(client, personas["responder"], ref, "sec_8k", trigger_at=START.isoformat())
    detached = client.post(
        f"/api/v1/incidents/{ref}/obligations/sec_8k/detach",
        headers=personas["responder"].headers,
        json={"reason": "the company is not listed in the US"},
    )
    assert detached.status_code == 200, detached.text
    clock.advance(days=10)
    run_jobs()
    assert [e.kind for e in events(db)][-1] == "obligation_detached"
    assert mails(mailbox) == []
