"""On SQLite the ingest writer runs on the event loop: the requests that queue
while the loop is busy go into one transaction, and while another process
holds the write lock the loop goes on and the write follows the lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fireline.alerts import service as alert_service
from fireline.alerts.committer import LoopCommitter, ThreadCommitter, make_committer
from fireline.alerts.models import Alert
from fireline.alerts.pipeline import PAGE_JOB, Submission
from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs import doorbell
from tests.alerts.conftest import database_with_pagerduty, jobs_of, numbered_alert
from tests.core.test_sqlite_writers import another_process_holds

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fresh(tmp_path: Path) -> tuple[Database, int, str]:
    return database_with_pagerduty(f"sqlite:///{tmp_path / 'fireline.db'}")


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


def test_sqlite_gets_the_loop_writer(tmp_path: Path) -> None:
    db, _, _ = fresh(tmp_path)
    try:
        assert isinstance(make_committer(db, FixedClock(NOW)), LoopCommitter)
    finally:
        db.dispose()


def test_postgresql_keeps_the_writer_thread(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        assert db.writers is None
        assert isinstance(make_committer(db, FixedClock(NOW)), ThreadCommitter)
    finally:
        db.dispose()


def test_requests_queued_meanwhile_share_one_transaction(tmp_path: Path) -> None:
    db, ident, key_hash = fresh(tmp_path)
    committer = make_committer(db, FixedClock(NOW))

    async def send_all() -> list[int]:
        outcomes = await asyncio.gather(
            *(committer.submit(Submission(ident, key_hash, [numbered_alert(n)])) for n in range(20))
        )
        return [outcome.accepted for outcome in outcomes]

    try:
        assert asyncio.run(send_all()) == [1] * 20
        assert (committer.batches, committer.submissions) == (1, 20)
        assert stored(db) == 20
    finally:
        db.dispose()


def test_the_loop_runs_on_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    db, ident, key_hash = fresh(tmp_path)
    committer = make_committer(db, FixedClock(NOW))

    def stored_count_without_writing() -> int:
        with db.reading() as session:
            return session.scalar(select(func.count()).select_from(Alert)) or 0

    async def scenario(let_go: Callable[[], None]) -> tuple[int, int, int]:
        sent = asyncio.ensure_future(
            committer.submit(Submission(ident, key_hash, [numbered_alert(1)]))
        )
        ticks = 0
        for _ in range(20):  # the loop keeps serving while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not sent.done()
        stored_while_held = stored_count_without_writing()
        let_go()
        outcome = await asyncio.wait_for(sent, 30)
        return ticks, stored_while_held, outcome.accepted

    try:
        with another_process_holds(str(tmp_path / "fireline.db")) as let_go:
            ticks, stored_while_held, accepted = asyncio.run(scenario(let_go))
        assert (ticks, stored_while_held, accepted) == (20, 0, 1)
        assert stored(db) == 1
        # The lock went back: the next transaction of this process gets it at once.
        assert db.writers is not None and db.writers.try_acquire()
        db.writers.release()
    finally:
        db.dispose()


def test_a_batch_larger_than_one_transaction_is_written_in_several(tmp_path: Path) -> None:
    db, ident, key_hash = fresh(tmp_path)
    committer = make_committer(db, FixedClock(NOW))

    async def send_all() -> None:
        await asyncio.gather(
            *(
                committer.submit(
                    Submission(ident, key_hash, [numbered_alert(1000 * b + n) for n in range(1000)])
                )
                for b in range(5)
            )
        )

    try:
        asyncio.run(send_all())
        assert committer.batches == 3  # 2,000 alerts at most, then what is left
        assert stored(db) == 5000
    finally:
        db.dispose()


def test_the_server_routes_ingestion_before_fastapi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fireline serve` runs served(app): ingestion requests never enter
    FastAPI's middleware, every other request does, and sees the client a
    trusted proxy names."""
    from fastapi.testclient import TestClient

    from fireline.core.config import Settings
    from fireline.web.app import create_app, served

    db, _, _ = fresh(tmp_path)
    with db.transaction() as session:
        _, key = alert_service.create_integration(
            session,
            actor=Actor.system("t"),
            now=NOW,
            spec=alert_service.IntegrationSpec(service="db", kind="pagerduty", name="pd2"),
        )
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fireline.db'}")
    app = create_app(settings, database=db, clock=FixedClock(NOW))
    entered: list[str] = []
    clients: list[str] = []

    @app.middleware("http")
    async def note(request, call_next):  # type: ignore[no-untyped-def]
        entered.append(request.url.path)
        clients.append(request.client.host)
        return await call_next(request)

    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"},
    }
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    try:
        with TestClient(served(app)) as client:
            assert client.post("/v2/enqueue", json=event).status_code == 202
            forwarded = {"X-Forwarded-For": "203.0.113.9"}
            assert client.get("/healthz", headers=forwarded).status_code == 200
        assert entered == ["/healthz"]
        assert clients == ["203.0.113.9"]
        assert stored(db) == 1
    finally:
        db.dispose()


def test_a_page_queued_by_the_writer_rings_the_doorbell_once_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer queues its jobs on its own connection, not through a
    session: it rings this process's workers itself, after the commit."""
    db, ident, key_hash = fresh(tmp_path)
    committer = make_committer(db, FixedClock(NOW))
    pages_when_rung: list[int] = []
    monkeypatch.setattr(
        doorbell, "ring", lambda: pages_when_rung.append(len(jobs_of(db, PAGE_JOB)))
    )

    async def send(n: int) -> None:
        await committer.submit(Submission(ident, key_hash, [numbered_alert(n)]))

    try:
        asyncio.run(send(1))  # a new group: one page
        asyncio.run(send(2))  # the same group: no page
        assert pages_when_rung == [1]
        [page] = jobs_of(db, PAGE_JOB)
        assert page.state == "queued" and page.payload == {"group_id": page.payload["group_id"]}
    finally:
        committer.stop()
        db.dispose()
