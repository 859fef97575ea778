"""SLA warnings and breaches: timers in the jobs table, events on the timeline,
e-mail to the commander and the escalation contacts through a real SMTP server."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from sqlalchemy import select

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.core.jobs.worker import Worker
from fireline.incidents import queries, service
from fireline.incidents.demo import principal_of
from fireline.incidents.models import TimelineEvent
from fireline.people.models import User
from fireline.plan import load_plan_file
from tests.conftest import Persona

PLAN_TEXT = """
organisation: {name: Acme}
classification: {questions: []}
postmortem: {required_for: []}  # only SLA mail here, no post-mortem reminders
severities:
  - key: SEV1
    name: Service down
    response: 15m
    resolution: 1h
    escalation_contacts: [vp-eng@example.com]
  - key: SEV2
    name: Major degradation
    response: 30m
    resolution: 4h
"""


class Inbox(Sink):
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.port = 0
        self.plan: Path | None = None

    def worker_settings(self, settings: Settings) -> Settings:
        """What a worker started with FIRELINE_SMTP_* and FIRELINE_PLAN would read."""
        return settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": self.port, "plan": self.plan}
        )

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    handler.port = port
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    plan_file = tmp_path / "fireline.yaml"
    plan_file.write_text(PLAN_TEXT)
    handler.plan = plan_file
    yield handler
    controller.stop()


def kinds(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(TimelineEvent.kind).order_by(TimelineEvent.id)))


def test_warning_then_breach_notify_commander_and_contacts(
    db: Database,
    clock: FixedClock,
    settings: Settings,
    personas: dict[str, Persona],
    inbox: Inbox,
    tmp_path: Path,
) -> None:
    plan = load_plan_file(tmp_path / "fireline.yaml")
    with db.transaction() as session:
        responder = principal_of(session.get(User, personas["responder"].user_id))  # type: ignore[arg-type]
        incident, _ = service.declare(
            session,
            plan,
            responder,
            clock.now(),
            service.Declaration(title="Checkout down", type="outage", severity="SEV1"),
        )
        ref = incident.ref
    with db.session() as session:
        timers = session.scalars(
            select(Job).where(Job.kind == "incident.sla_check").order_by(Job.due_at)
        ).all()
        # The response clock stopped at declaration (a commander was assigned): only resolution timers.
        assert [(t.payload["kind"], t.payload["phase"]) for t in timers] == [
            ("resolution", "warning"),
            ("resolution", "breach"),
        ]
        assert timers[0].due_at == clock.now() + timedelta(minutes=45)

    worker = Worker(db, clock, inbox.worker_settings(settings), rng=random.Random(1))
    clock.advance(minutes=46)
    worker.run_once()  # the warning timer, which enqueues e-mails
    worker.run_once()  # the e-mails
    assert kinds(db)[-1] == "sla_warning"
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["responder@example.com", "vp-eng@example.com"]
    assert b"[" + ref.encode() + b"] SEV1 resolution SLA warning" in inbox.messages[0][1]

    clock.advance(minutes=15)
    worker.run_once()
    worker.run_once()
    assert kinds(db)[-1] == "sla_breached"
    assert len(inbox.messages) == 4


def test_timers_do_nothing_once_resolved_or_after_a_severity_change(
    db: Database,
    clock: FixedClock,
    settings: Settings,
    personas: dict[str, Persona],
    inbox: Inbox,
    tmp_path: Path,
) -> None:
    plan = load_plan_file(tmp_path / "fireline.yaml")
    with db.transaction() as session:
        responder = principal_of(session.get(User, personas["responder"].user_id))  # type: ignore[arg-type]
        incident, _ = service.declare(
            session,
            plan,
            responder,
            clock.now(),
            service.Declaration(title="Slow", type="outage", severity="SEV1"),
        )
        clock.advance(minutes=5)
        service.change_severity(
            session, plan, responder, clock.now(), incident, "SEV2", "one region only"
        )
    worker = Worker(db, clock, inbox.worker_settings(settings), rng=random.Random(1))
    clock.advance(minutes=60)  # past the SEV1 warning and deadline, before SEV2's
    while worker.run_once():
        pass
    assert "sla_warning" not in kinds(db) and "sla_breached" not in kinds(db)
    with db.transaction() as session:
        incident = queries.get_visible(session, responder, "1")
        service.resolve(session, plan, responder, clock.now(), incident)
    clock.advance(hours=5)
    while worker.run_once():
        pass
    assert kinds(db)[-1] == "status_changed" and inbox.messages == []
