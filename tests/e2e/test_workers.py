"""Workers as real processes against one PostgreSQL: each job runs exactly once,
and a server killed with SIGKILL loses no job and re-runs none that finished."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fireline.core.clock import SystemClock
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.migrate import upgrade
from tests.e2e.job_handlers import create_runs_table

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    upgrade(db.engine)
    with db.engine.begin() as connection:
        create_runs_table(connection)
    yield db
    db.dispose()


def process_env(db: Database, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FIRELINE_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "FIRELINE_JOB_MODULES": json.dumps(["tests.e2e.job_handlers"]),
        "FIRELINE_WORKER_POLL_SECONDS": "0.05",
        "FIRELINE_WORKER_BATCH": "10",
        "FIRELINE_LOG_LEVEL": "WARNING",
        **extra,
    }


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fireline", *args], env=env, cwd=REPO)


def enqueue_many(db: Database, count: int, payload: dict[str, object]) -> list[int]:
    now = SystemClock().now()
    with db.transaction() as session:
        return [
            queue.enqueue(session, kind="test.record", payload=payload, now=now).id
            for _ in range(count)
        ]


def finished(db: Database, kind: str = "test.record") -> int:
    """Jobs of the tests' kind that are done (workers also schedule their own housekeeping)."""
    with db.engine.connect() as connection:
        query = text("SELECT count(*) FROM jobs WHERE kind = :kind AND state = 'done'")
        return int(connection.execute(query, {"kind": kind}).scalar() or 0)


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def runs_per_job(db: Database) -> dict[int, int]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT job_id, count(*) FROM job_test_runs GROUP BY job_id")
        )
        return {row[0]: row[1] for row in rows}


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_three_workers_run_a_thousand_jobs_exactly_once(pg: Database) -> None:
    ids = enqueue_many(pg, 1000, {})
    env = process_env(pg)
    workers = [start(["worker"], env) for _ in range(3)]
    try:
        wait_for(lambda: finished(pg) == 1000, 120, "1,000 jobs to finish")
    finally:
        stop_all(workers)
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]
    per_job = runs_per_job(pg)
    assert sorted(per_job) == sorted(ids)
    assert set(per_job.values()) == {1}
    with pg.engine.connect() as connection:
        busy = connection.execute(text("SELECT count(DISTINCT worker) FROM job_test_runs")).scalar()
    assert busy is not None and busy >= 2, "the work should be shared between the workers"


def test_sigterm_finishes_the_job_in_hand_and_gives_back_the_rest(
    pg: Database, tmp_path: Path
) -> None:
    # A batch is one transaction: nothing of it shows in the database until
    # it ends, so the jobs say in files when they begin.
    ids = enqueue_many(pg, 10, {"sleep": 0.3, "started_in": str(tmp_path)})
    worker = start(["worker"], process_env(pg, FIRELINE_WORKER_BATCH="10"))
    try:
        wait_for(lambda: any(tmp_path.iterdir()), 30, "a job of the batch to begin")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    assert worker.returncode == 0
    ran = runs_per_job(pg)
    # Usually one job was in hand (its finishing is checked in tests/core/test_jobs.py).
    assert len(ran) < 10, "the worker should stop within its batch"
    with pg.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, state, attempts, locked_by FROM jobs WHERE kind = 'test.record'")
        ).all()
    for job_id, state, attempts, locked_by in rows:
        if job_id in ran:
            assert state == "done"
        else:  # given back, not left running until the lease runs out
            assert (state, attempts, locked_by) == ("queued", 0, None)
    assert sorted(r[0] for r in rows) == sorted(ids)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigkilled_server_loses_no_job_and_reruns_none_that_finished(pg: Database) -> None:
    ids = enqueue_many(pg, 300, {"sleep": 0.02})
    env = process_env(pg, FIRELINE_JOB_LEASE_SECONDS="2")
    server = start(["serve", "--port", str(free_port())], env)
    try:
        wait_for(lambda: finished(pg) >= 60, 60, "the server's worker to get going")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finished_before_kill = set(runs_per_job(pg))
    assert 0 < len(finished_before_kill) < 300

    worker = start(["worker"], env)
    try:
        wait_for(lambda: finished(pg) == 300, 90, "the remaining jobs to finish")
    finally:
        stop_all([worker])
    per_job = runs_per_job(pg)
    assert sorted(per_job) == sorted(ids), "no job may be lost"
    assert all(per_job[job_id] == 1 for job_id in finished_before_kill), "finished jobs re-ran"
    assert set(per_job.values()) == {1}


def test_serve_without_worker_and_a_separate_worker(pg: Database) -> None:
    import httpx

    [job_id] = enqueue_many(pg, 1, {})
    port = free_port()
    env = process_env(pg)
    server = start(["serve", "--no-worker", "--port", str(port)], env)
    try:
        wait_for(lambda: _ready(httpx, port), 30, "the server to be ready")
        time.sleep(1.0)  # several poll intervals: a worker inside serve would have run it
        assert finished(pg) == 0
        worker = start(["worker"], env)
        try:
            wait_for(lambda: finished(pg) == 1, 30, "the separate worker to run the job")
        finally:
            stop_all([worker])
    finally:
        stop_all([server])
    assert runs_per_job(pg) == {job_id: 1}


def _ready(httpx, port: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200)
    except httpx.HTTPError:
        return False
