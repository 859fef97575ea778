"""Job handlers used by the jobs tests, loaded through FIRELINE_JOB_MODULES
exactly as an outside module of handlers would be."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from fireline.core.jobs.registry import Effect, JobContext, job_handler

# Set by a "test.record" job whose payload asks for it: a worker being told to
# stop while it runs a job, as SIGTERM would.
STOP = threading.Event()
RUNS_TABLE = "CREATE TABLE IF NOT EXISTS job_test_runs (job_id INTEGER NOT NULL, worker VARCHAR(200) NOT NULL)"


def create_runs_table(connection: Connection) -> None:
    connection.execute(text(RUNS_TABLE))


@job_handler("test.record")
def record(ctx: JobContext) -> None:
    """Write one row per run, in the transaction that completes the job.
    With ``started_in``, first leave a file named after the job in that
    directory: a sign, visible before anything commits, that it has begun."""
    started_in = ctx.payload.get("started_in")
    if started_in:
        (Path(started_in) / str(ctx.job.id)).touch()
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


# "test.effect" jobs that ask for it meet here while performing their effects:
# they get through only if the worker performs them side by side.
MEETING: dict[str, threading.Barrier] = {}
# "test.effect" jobs whose payload says "record_fails": N fail their record
# step N times; counted here by job id.
RECORD_FAILURES: Counter[int] = Counter()


@job_handler("test.effect")
def effect(ctx: JobContext) -> Effect[str]:
    """Write a 'prepared' row, then leave an effect that looks at the
    database from outside the job's transaction and a record step that
    writes what the effect saw."""
    ctx.session.execute(
        text("INSERT INTO job_test_runs (job_id, worker) VALUES (:job, 'prepared')"),
        {"job": ctx.job.id},
    )
    url = ctx.session.get_bind().engine.url.render_as_string(hide_password=False)
    job_id, meet = ctx.job.id, ctx.payload.get("meet")
    fail = bool(ctx.payload.get("fail"))

    def perform() -> str:
        if meet:
            MEETING[meet].wait(timeout=10)
        if fail:
            raise ConnectionError("the receiver hung up")
        return f"saw {_prepared_rows(url, job_id)} committed"

    def record_outcome(later: JobContext, seen: str) -> None:
        if RECORD_FAILURES[job_id] < int(ctx.payload.get("record_fails", 0)):
            RECORD_FAILURES[job_id] += 1
            later.session.execute(  # a failed record must leave nothing behind
                text("INSERT INTO job_test_runs (job_id, worker) VALUES (:job, 'recording')"),
                {"job": later.job.id},
            )
            raise ConnectionResetError("the database went away for a moment")
        later.session.execute(
            text("INSERT INTO job_test_runs (job_id, worker) VALUES (:job, :seen)"),
            {"job": later.job.id, "seen": seen},
        )

    return Effect(perform=perform, record=record_outcome)


def _prepared_rows(url: str, job_id: int) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM job_test_runs WHERE job_id = :job AND worker = 'prepared'"
                    ),
                    {"job": job_id},
                )
                or 0
            )
    finally:
        engine.dispose()
