"""The jobs table and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.errors import Conflict
from fireline.core.jobs import queue
from fireline.core.jobs.backoff import retry_delay
from fireline.core.jobs.models import Job, JobState
from fireline.core.jobs.worker import Worker
from tests.e2e.job_handlers import create_runs_table

LEASE = timedelta(seconds=60)


@pytest.fixture
def worker(db: Database, clock: FixedClock, settings: Settings) -> Worker:
    with db.engine.begin() as connection:
        create_runs_table(connection)
    settings = settings.model_copy(update={"job_modules": ["tests.e2e.job_handlers"]})
    return Worker(db, clock, settings, worker_id="w1", rng=random.Random(7))


def runs(db: Database) -> list[tuple[int, str]]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT job_id, worker FROM job_test_runs ORDER BY job_id"))
        return [(r[0], r[1]) for r in rows]


def job(db: Database, job_id: int) -> Job:
    with db.session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def add(db: Database, clock: FixedClock, kind: str = "test.record", **kwargs) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return queue.enqueue(
            session, kind=kind, payload=kwargs.pop("payload", {}), now=clock.now(), **kwargs
        ).id


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [retry_delay(n, rng).total_seconds() for n in range(1, 12)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(3600, 10 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(retry_delay(3, rng).total_seconds(), 3) for _ in range(20)}) > 1
    with pytest.raises(ValueError):
        retry_delay(0)


def test_same_idempotency_key_is_one_job(db: Database, clock: FixedClock) -> None:
    first = add(db, clock, idempotency_key="page:INC-1:ada", payload={"n": 1})
    second = add(db, clock, idempotency_key="page:INC-1:ada", payload={"n": 2})
    assert first == second
    assert job(db, first).payload == {"n": 1}
    assert add(db, clock, idempotency_key="page:INC-1:bob") != first


def test_worker_runs_due_jobs_in_due_order_and_leaves_future_ones(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    later = add(db, clock, due_at=clock.now() + timedelta(minutes=5))
    second = add(db, clock, due_at=clock.now() - timedelta(seconds=1))
    first = add(db, clock, due_at=clock.now() - timedelta(seconds=2))
    assert worker.run_once() == 2
    assert [r[0] for r in runs(db)] == sorted([first, second])
    assert job(db, first).state == "done" and job(db, first).finished_at == clock.now()
    assert job(db, later).state == "queued"
    clock.advance(minutes=5)
    assert worker.run_once() == 1
    assert job(db, later).state == "done"
    assert worker.run_once() == 0


def test_failure_backs_off_then_dies_after_max_attempts(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_id = add(db, clock, kind="test.fail", max_attempts=3, payload={"to": "ada"})
    worker.run_once()
    failed = job(db, job_id)
    assert failed.state == "queued" and failed.attempts == 1
    assert "provider said no to ada" in (failed.last_error or "")
    assert timedelta(seconds=5) <= failed.due_at - clock.now() <= timedelta(seconds=10)
    assert runs(db) == []  # the handler's writes were rolled back with the failure
    assert worker.run_once() == 0  # not due yet
    for _ in range(2):
        clock.advance(hours=2)
        worker.run_once()
    dead = job(db, job_id)
    assert dead.state == "dead" and dead.attempts == 3


def test_unknown_kind_fails_cleanly(db: Database, clock: FixedClock, worker: Worker) -> None:
    job_id = add(db, clock, kind="nobody.handles.this", max_attempts=1)
    worker.run_once()
    dead = job(db, job_id)
    assert dead.state == "dead"
    assert "no handler is registered for job kind 'nobody.handles.this'" in (dead.last_error or "")


def test_abandoned_job_is_taken_again_after_its_lease(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_id = add(db, clock)
    with db.transaction() as session:  # a worker claims it, then dies
        assert queue.claim(
            session, worker_id="dead-worker", now=clock.now(), lease=LEASE, limit=5
        ) == [job_id]
    assert worker.run_once() == 0
    clock.advance(seconds=61)
    assert worker.run_once() == 1
    done = job(db, job_id)
    assert done.state == "done" and done.attempts == 2
    assert runs(db) == [(job_id, "w1")]


def test_job_abandoned_on_its_last_attempt_is_dead(db: Database, clock: FixedClock) -> None:
    job_id = add(db, clock, max_attempts=1)
    with db.transaction() as session:
        queue.claim(session, worker_id="crasher", now=clock.now(), lease=LEASE, limit=5)
    with db.transaction() as session:
        assert (
            queue.claim(session, worker_id="w2", now=clock.now() + 2 * LEASE, lease=LEASE, limit=5)
            == []
        )
    assert job(db, job_id).state == "dead"
    assert "abandoned by crasher" in (job(db, job_id).last_error or "")


def test_a_worker_that_lost_its_lease_cannot_complete(db: Database, clock: FixedClock) -> None:
    job_id = add(db, clock)
    with db.transaction() as session:
        queue.claim(session, worker_id="slow", now=clock.now(), lease=LEASE, limit=1)
    with db.transaction() as session:
        later = clock.now() + 2 * LEASE
        assert queue.claim(session, worker_id="fast", now=later, lease=LEASE, limit=1) == [job_id]
    with db.transaction() as session:
        assert not queue.complete(session, job_id=job_id, worker_id="slow", now=clock.now())
        assert queue.complete(session, job_id=job_id, worker_id="fast", now=clock.now())


def test_retry_puts_a_dead_job_back(db: Database, clock: FixedClock, worker: Worker) -> None:
    job_id = add(db, clock, kind="test.fail", max_attempts=1)
    worker.run_once()
    with db.transaction() as session:
        retried = queue.retry(session, job_id=job_id, now=clock.now())
        assert retried.state == "queued" and retried.attempts == 0
    with db.transaction() as session, pytest.raises(Conflict):
        queue.claim(session, worker_id="w", now=clock.now(), lease=LEASE, limit=1)
        queue.retry(session, job_id=job_id, now=clock.now())


def test_counts_by_state(db: Database, clock: FixedClock, worker: Worker) -> None:
    add(db, clock)
    add(db, clock, kind="test.fail", max_attempts=1)
    add(db, clock, due_at=clock.now() + timedelta(hours=1))
    worker.run_once()
    with db.session() as session:
        assert queue.counts_by_state(session) == {"queued": 1, "running": 0, "done": 1, "dead": 1}
    assert JobState.dead.value == "dead"
