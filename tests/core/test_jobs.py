"""The jobs table and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.errors import Conflict
from fireline.core.jobs import queue
from fireline.core.jobs.models import Job, JobState
from fireline.core.jobs.worker import BackgroundWorker, Worker
from tests.e2e import job_handlers
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


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def settled(worker: Worker) -> bool:
    """The worker has polled and has not polled again for half a second."""
    before = worker.polls
    time.sleep(0.5)
    return before > 0 and worker.polls == before


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


def test_same_idempotency_key_is_one_job(db: Database, clock: FixedClock) -> None:
    first = add(db, clock, idempotency_key="page:INC-1:ada", payload={"n": 1})
    second = add(db, clock, idempotency_key="page:INC-1:ada", payload={"n": 2})
    assert first == second
    assert job(db, first).payload == {"n": 1}
    assert add(db, clock, idempotency_key="page:INC-1:bob") != first


def test_same_idempotency_key_enqueued_concurrently_is_one_job(
    db: Database, clock: FixedClock
) -> None:
    found: dict[str, int] = {}

    def enqueue_from_another_transaction() -> None:
        with db.transaction() as session:
            job = queue.enqueue(
                session,
                kind="test.record",
                payload={"by": "second"},
                now=clock.now(),
                idempotency_key="page:INC-2:ada",
            )
            found["second"] = job.id

    first = db.sessions()
    try:
        job = queue.enqueue(
            first,
            kind="test.record",
            payload={"by": "first"},
            now=clock.now(),
            idempotency_key="page:INC-2:ada",
        )
        racer = threading.Thread(target=enqueue_from_another_transaction)
        racer.start()
        # The second insert waits for the first transaction (PostgreSQL: on the
        # unique index; SQLite: on the writer lock) instead of making a second row.
        racer.join(0.3)
        assert racer.is_alive()
        first.commit()
        racer.join(10)
        assert found["second"] == job.id
    finally:
        first.close()
    with db.session() as session:
        [only] = session.scalars(select(Job).where(Job.idempotency_key == "page:INC-2:ada")).all()
    assert only.payload == {"by": "first"}


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


def test_without_a_limit_the_worker_setting_decides_when_a_job_dies(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    worker = Worker(db, clock, worker.settings.model_copy(update={"job_max_attempts": 2}))
    defaulted = add(db, clock, kind="test.fail")
    explicit = add(db, clock, kind="test.fail", max_attempts=3)
    assert job(db, defaulted).max_attempts == queue.WORKER_LIMIT
    worker.run_once()
    assert job(db, defaulted).max_attempts == 2  # the claim records the limit it applied
    clock.advance(hours=2)
    worker.run_once()
    assert job(db, defaulted).state == "dead" and job(db, defaulted).attempts == 2
    assert job(db, explicit).state == "queued" and job(db, explicit).attempts == 2
    with pytest.raises(ValueError):
        add(db, clock, max_attempts=0)


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


def test_a_stopping_worker_finishes_the_job_in_hand_and_gives_back_the_rest(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_handlers.STOP.clear()
    first = add(db, clock, payload={"stop_worker": True}, due_at=clock.now() - LEASE)
    rest = [add(db, clock) for _ in range(3)]
    assert worker.run_once(job_handlers.STOP) == 1
    assert runs(db) == [(first, "w1")] and job(db, first).state == "done"
    for job_id in rest:
        given_back = job(db, job_id)
        assert given_back.state == "queued" and given_back.attempts == 0
        assert given_back.locked_by is None
    job_handlers.STOP.clear()
    assert worker.run_once(job_handlers.STOP) == 3  # due at once: no lease to wait out


def test_counts_by_state(db: Database, clock: FixedClock, worker: Worker) -> None:
    add(db, clock)
    add(db, clock, kind="test.fail", max_attempts=1)
    add(db, clock, due_at=clock.now() + timedelta(hours=1))
    worker.run_once()
    with db.session() as session:
        assert queue.counts_by_state(session) == {"queued": 1, "running": 0, "done": 1, "dead": 1}
    assert JobState.dead.value == "dead"


def test_an_idle_worker_sleeps_only_until_the_next_job_comes_due(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    poll = worker.settings.worker_poll_seconds
    assert worker.run_once() == 0
    assert worker.idle_seconds() == poll  # nothing queued: the poll interval
    add(db, clock, due_at=clock.now() + timedelta(milliseconds=300))
    assert worker.run_once() == 0
    assert worker.idle_seconds() == pytest.approx(0.3)
    add(db, clock, due_at=clock.now() + timedelta(hours=1))
    assert worker.run_once() == 0
    assert worker.idle_seconds() == pytest.approx(0.3)  # the sooner one decides
    clock.advance(seconds=1)
    assert worker.run_once() == 1  # the first is due now
    assert worker.run_once() == 0
    assert worker.idle_seconds() == poll  # the other is an hour away


def test_an_effect_runs_after_its_handler_commits_and_its_outcome_completes_the_job(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_id = add(db, clock, kind="test.effect")
    assert worker.run_once() == 1
    # The effect saw the handler's row from another connection: it ran with
    # the handler's transaction committed, not inside it.
    assert runs(db) == [(job_id, "prepared"), (job_id, "saw 1 committed")]
    done = job(db, job_id)
    assert done.state == "done" and done.attempts == 1


def test_a_failed_effect_fails_its_job_which_runs_again_from_the_start(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_id = add(db, clock, kind="test.effect", payload={"fail": True})
    assert worker.run_once() == 1
    failed = job(db, job_id)
    assert failed.state == "queued" and failed.attempts == 1
    assert failed.last_error == "ConnectionError: the receiver hung up"
    assert runs(db) == [(job_id, "prepared")]  # nothing recorded for the failed effect


def test_a_record_that_fails_is_tried_again_alone_and_the_effect_is_not_performed_again(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_handlers.RECORD_FAILURES.clear()
    job_id = add(db, clock, kind="test.effect", payload={"record_fails": 2})
    assert worker.run_once() == 1
    done = job(db, job_id)
    assert done.state == "done" and done.attempts == 1
    # Performed once; the two failed records left nothing behind.
    assert runs(db) == [(job_id, "prepared"), (job_id, "saw 1 committed")]


def test_a_record_that_keeps_failing_fails_its_job(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    job_handlers.RECORD_FAILURES.clear()
    job_id = add(db, clock, kind="test.effect", payload={"record_fails": 99})
    assert worker.run_once() == 1
    failed = job(db, job_id)
    assert failed.state == "queued" and failed.attempts == 1
    assert failed.last_error == "ConnectionResetError: the database went away for a moment"
    assert runs(db) == [(job_id, "prepared")]


def test_a_batch_performs_its_effects_side_by_side(
    db: Database, clock: FixedClock, worker: Worker
) -> None:
    # Three effects that each wait for the other two: one after another,
    # the first would time out at the barrier, which breaks it for all.
    job_handlers.MEETING["three"] = threading.Barrier(3)
    ids = [add(db, clock, kind="test.effect", payload={"meet": "three"}) for _ in range(3)]
    assert worker.run_once() == 3
    assert not job_handlers.MEETING["three"].broken
    assert {job(db, i).state for i in ids} == {"done"}
    assert sorted(r for r in runs(db) if r[1] != "prepared") == [
        (i, "saw 1 committed") for i in ids
    ]


def test_a_committed_job_wakes_the_idle_worker_of_its_process(
    db: Database, clock: FixedClock, settings: Settings
) -> None:
    with db.engine.begin() as connection:
        create_runs_table(connection)
    slow_poll = settings.model_copy(
        update={"job_modules": ["tests.e2e.job_handlers"], "worker_poll_seconds": 60}
    )
    background = BackgroundWorker(db, clock, slow_poll)
    background.start()
    try:
        assert wait_until(lambda: settled(background.worker))  # it went idle for a minute
        job_id = add(db, clock)
        # A poll a minute would leave it queued; the commit's bell wakes the worker.
        assert wait_until(lambda: job(db, job_id).state == "done", seconds=20)
    finally:
        background.stop()
