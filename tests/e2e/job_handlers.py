"""Job handlers used by the jobs tests, loaded through FIRELINE_JOB_MODULES
exactly as an outside module of handlers would be."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Connection

from fireline.core.jobs.registry import JobContext, job_handler

# Set by a "test.record" job whose payload asks for it: a worker being told to
# stop while it runs a job, as SIGTERM would.
STOP = threading.Event()
RUNS_TABLE = "CREATE TABLE IF NOT EXISTS job_test_runs (job_id INTEGER NOT NULL, worker VARCHAR(200) NOT NULL)"


def create_runs_table(connection: Connection) -> None:
    connection.execute(text(RUNS_TABLE))


@job_handler("test.record")
def record(ctx: JobContext) -> None:
    """Write one row per run, in the transaction that completes the job."""
    delay = float(ctx.payload.get("sleep", 0))
    if delay:
        time.sleep(delay)
    ctx.session.execute(
        text("INSERT INTO job_test_runs (job_id, worker) VALUES (:job, :worker)"),
        {"job": ctx.job.id, "worker": ctx.job.locked_by or "?"},
    )
    if ctx.payload.get("stop_worker"):
        STOP.set()


@job_handler("test.fail")
def fail(ctx: JobContext) -> None:
    ctx.session.execute(
        text("INSERT INTO job_test_runs (job_id, worker) VALUES (:job, 'failed')"),
        {"job": ctx.job.id},
    )
    raise RuntimeError(f"provider said no to {ctx.payload.get('to', 'nobody')}")
