"""Paging through three `fireline worker` processes against one PostgreSQL:
500 alert groups page at once, and every person of each escalation step is
e-mailed exactly once, counted both in the notifications table and at a
real SMTP server on 127.0.0.1. Nobody is paged twice, nobody is missed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from fireline.alerts import pipeline
from fireline.alerts import service as alert_service
from fireline.alerts.models import AlertGroup
from fireline.alerts.sources import pagerduty
from fireline.catalog import service as catalog
from fireline.core.audit import Actor
from fireline.core.clock import SystemClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.core.migrate import upgrade
from fireline.oncall import contacts, paging, policies
from fireline.oncall.models import Notification, Page
from fireline.people import service as people

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
GROUPS = 500
WORKERS = 3
# Step 1 pages two people, step 2 a third: a mail to the wrong person at the
# wrong step shows up as a count that is off.
FIRST_STEP = ("ana", "ben")
SECOND_STEP = ("cleo",)
ONCALL_KINDS = (pipeline.PAGE_JOB, paging.STEP_JOB, paging.NOTIFY_JOB)
# Each phase takes 15-30 s on two cores; the margin is for a busy machine.
PHASE_TIMEOUT = 120


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    kind: str  # X-Fireline-Kind: page, verify or test
    message_id: str


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts, duplicates included."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            for to in envelope.rcpt_tos:
                self.mails.append(
                    Mail(
                        to=to,
                        subject=str(parsed["Subject"]),
                        kind=str(parsed["X-Fireline-Kind"]),
                        message_id=str(parsed["Message-ID"]),
                    )
                )
        return "250 OK"

    def pages(self) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if m.kind == "page"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    upgrade(db.engine)
    yield db
    db.dispose()


@dataclass(frozen=True)
class Setup:
    users: dict[str, int]  # name -> user id
    integration_id: int
    key_hash: str


def set_up_paging(db: Database) -> Setup:
    """Three people who take pages by e-mail, a two-step policy (one minute
    between steps) and a service that pages through it, with a PagerDuty
    integration."""
    actor, now = Actor.system("tests"), SystemClock().now()
    users: dict[str, int] = {}
    with db.transaction() as session:
        for name in (*FIRST_STEP, *SECOND_STEP):
            user = people.create_user(
                session, actor=actor, now=now, email=f"{name}@example.com", name=name.title()
            )
            method = contacts.add_method(
                session,
                actor=actor,
                now=now,
                user=user,
                kind="email",
                target={"address": f"{name}@example.com"},
            )
            contacts.verify_method(session, actor=actor, now=now, method=method)
            contacts.add_rule(
                session,
                actor=actor,
                now=now,
                user=user,
                urgency="high",
                contact_method_id=method.id,
                delay_minutes=0,
            )
            users[name] = user.id
        policy = policies.create_policy(
            session,
            actor=actor,
            now=now,
            slug="storage-oncall",
            name="Storage on call",
            steps=[
                {
                    "delay_minutes": 1,
                    "targets": [{"type": "user", "id": users[n]} for n in FIRST_STEP],
                },
                {
                    "delay_minutes": 1,
                    "targets": [{"type": "user", "id": users[n]} for n in SECOND_STEP],
                },
            ],
        )
        service = catalog.create_service(
            session, actor=actor, now=now, slug="storage", name="Storage"
        )
        policies.set_service_policy(
            session, actor=actor, now=now, service=service, policy=policy.slug
        )
        integration, _ = alert_service.create_integration(
            session,
            actor=actor,
            now=now,
            spec=alert_service.IntegrationSpec(
                service="storage", kind="pagerduty", rate_limit_per_minute=0
            ),
        )
        return Setup(users, integration.id, integration.key_hash)


def trigger_groups(db: Database, setup: Setup, count: int) -> list[str]:
    """``count`` PagerDuty triggers, each its own group (its own ``group``),
    parsed and committed exactly as POST /v2/enqueue does, in one batch as the
    group committer makes under load: every page job is due at the same instant.
    Returns the alerts' summaries, which the page mails carry in their subject."""
    now = SystemClock().now()
    summaries = [f"disk full on storage-{n:04d}" for n in range(count)]
    alerts = []
    for n, summary in enumerate(summaries):
        event = {
            "routing_key": "parsed here, checked by the integration id",
            "event_action": "trigger",
            "dedup_key": f"storage-{n:04d}",
            "payload": {
                "summary": summary,
                "source": f"storage-{n:04d}",
                "severity": "critical",  # high urgency: the page escalates
                "group": f"storage-{n:04d}",
            },
        }
        alerts.append(pagerduty.parse_event(event, now, lambda: "unused")[1])
    with db.transaction() as session:
        [outcome] = pipeline.apply(
            session, [pipeline.Submission(setup.integration_id, setup.key_hash, alerts)], now
        )
    assert outcome.accepted == count and outcome.refused is None
    return summaries


def start_workers(db: Database, smtp_port: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FIRELINE_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "FIRELINE_SMTP_HOST": "127.0.0.1",
        "FIRELINE_SMTP_PORT": str(smtp_port),
        "FIRELINE_WORKER_POLL_SECONDS": "0.05",
        "FIRELINE_WORKER_BATCH": "10",
        # INFO: each finished job is logged with its worker, to see the work shared.
        "FIRELINE_LOG_LEVEL": "INFO",
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", "fireline", "worker"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"worker-{n}.log").open("wb"),
        )
        for n in range(WORKERS)
    ]


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def drained(db: Database) -> bool:
    """No paging job due or running: nothing more is sent until a timer comes due."""
    now = SystemClock().now()
    with db.session() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.kind.in_(ONCALL_KINDS),
                ((Job.state == "queued") & (Job.due_at <= now)) | (Job.state == "running"),
            )
        )
    return waiting == 0


def sent_page_notifications(db: Database) -> list[tuple[int | None, int, int, str]]:
    """(page, user, step, status) of every page notification."""
    with db.session() as session:
        rows = session.execute(
            select(
                Notification.page_id, Notification.user_id, Notification.step, Notification.status
            ).where(Notification.kind == "page")
        ).all()
    return [(page, user, step, status) for page, user, step, status in rows]


def mails_per_person_and_alert(mails: list[Mail], summaries: list[str]) -> Counter[tuple[str, str]]:
    """(recipient, summary) -> deliveries; a subject is "[HIGH] AG-12 <summary>"."""
    wanted = set(summaries)
    counts: Counter[tuple[str, str]] = Counter()
    for mail in mails:
        summary = mail.subject.split(" ", 2)[-1]
        assert summary in wanted, f"a page mail for no alert sent here: {mail.subject!r}"
        counts[(mail.to.split("@")[0], summary)] += 1
    return counts


def exactly_once(names: tuple[str, ...], summaries: list[str]) -> Counter[tuple[str, str]]:
    return Counter({(name, summary): 1 for name in names for summary in summaries})


def test_three_workers_page_each_person_of_each_step_exactly_once(
    pg: Database, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, smtp_port = smtp
    setup = set_up_paging(pg)
    workers = start_workers(pg, smtp_port, tmp_path)
    try:
        summaries = trigger_groups(pg, setup, GROUPS)
        step_one = GROUPS * len(FIRST_STEP)
        wait_for(
            lambda: len(mailbox.pages()) >= step_one and drained(pg),
            PHASE_TIMEOUT,
            f"{step_one} step-1 mails and an empty queue",
        )

        # Step 1 is done everywhere and step 2 waits for its minute.
        first = sent_page_notifications(pg)
        assert len(first) == step_one
        assert {status for *_, status in first} == {"sent"}
        assert {step for _, _, step, _ in first} == {0}
        assert Counter((page, user) for page, user, _, _ in first) == Counter(
            {
                (page, setup.users[name]): 1
                for page in {page for page, *_ in first}
                for name in FIRST_STEP
            }
        )
        assert mails_per_person_and_alert(mailbox.pages(), summaries) == exactly_once(
            FIRST_STEP, summaries
        )
        with pg.session() as session:
            pages = session.execute(select(Page.id, Page.subject_id, Page.status)).all()
            groups = session.scalar(select(func.count()).select_from(AlertGroup))
            timers = session.scalars(
                select(Job).where(Job.kind == paging.STEP_JOB, Job.state == "queued")
            ).all()
            stepped_at = dict(
                session.execute(
                    select(Notification.page_id, func.min(Notification.created_at))
                    .where(Notification.kind == "page")
                    .group_by(Notification.page_id)
                ).all()
            )
        assert groups == GROUPS
        assert len(pages) == GROUPS, "one page per alert group"
        assert len({subject for _, subject, _ in pages}) == GROUPS
        assert {status for *_, status in pages} == {"active"}
        assert sorted(t.payload["page_id"] for t in timers) == sorted(p for p, _, _ in pages)
        assert {t.payload["step"] for t in timers} == {1}
        # Each timer is set one minute (the step's delay) after its step ran.
        assert all(
            t.due_at == stepped_at[t.payload["page_id"]] + timedelta(minutes=1) for t in timers
        )

        # Time travel: the workers read the real clock, so rather than wait a
        # minute the step-2 timers are moved to now. Only due_at changes: the
        # jobs, their payloads (page, generation, step) and their idempotency
        # keys are the ones the engine queued.
        with pg.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.kind == paging.STEP_JOB, Job.state == "queued")
                .values(due_at=SystemClock().now())
            )
        both_steps = GROUPS * (len(FIRST_STEP) + len(SECOND_STEP))
        wait_for(
            lambda: len(mailbox.pages()) >= both_steps and drained(pg),
            PHASE_TIMEOUT,
            f"{both_steps} mails in all and an empty queue",
        )
    finally:
        stop_all(workers)
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]

    # Every person of both steps got one notification and one mail per page.
    notifications = sent_page_notifications(pg)
    assert len(notifications) == both_steps
    assert {status for *_, status in notifications} == {"sent"}
    cleo = setup.users["cleo"]
    second = [(page, user) for page, user, step, _ in notifications if step == 1]
    assert Counter(second) == Counter({(page, cleo): 1 for page, _, _ in pages})
    assert mails_per_person_and_alert(mailbox.pages(), summaries) == exactly_once(
        FIRST_STEP + SECOND_STEP, summaries
    )
    assert len({m.message_id for m in mailbox.pages()}) == both_steps

    # Each job ran once: claimed once (attempts), finished, none dead.
    with pg.session() as session:
        jobs = session.execute(
            select(Job.kind, Job.state, Job.attempts).where(Job.kind.in_(ONCALL_KINDS))
        ).all()
    assert Counter(kind for kind, _, _ in jobs) == {
        pipeline.PAGE_JOB: GROUPS,
        # the first step runs as its page starts; the second from its timer
        paging.STEP_JOB: GROUPS,
        # the pages' notifications, and the three contact methods' verification mails
        paging.NOTIFY_JOB: both_steps + 3,
    }
    assert {(state, attempts) for _, state, attempts in jobs} == {("done", 1)}

    ran = Counter(
        log.name
        for log in tmp_path.glob("worker-*.log")
        for line in log.read_text().splitlines()
        if "kind=oncall." in line and "state=done" in line
    )
    assert len(ran) >= 2, f"the work should be shared between the workers: {ran}"
