"""How late escalation timers run when many pages are in flight.

10,000 alert groups each have an active page whose first step has run; the
second step's timer (an ``oncall.step`` job) of each comes due within a short
window. `fireline worker` processes run them, and each timer's lateness is
the time from its ``due_at`` to when its handler ran. The handler's ``now``
is written on the notifications it creates, so "started" is read from there;
"finished" is the job's ``finished_at``. Contact methods use the log channel:
sending costs next to nothing, so the figures are those of the jobs and the
paging engine.

The setup runs the engine's own functions (``paging.start``, then
``paging.run_step`` for the first step, each at its own past instant, so the
engine itself sets every timer's due time one step delay later), but in
large transactions rather than job by job: it is not what is measured.
The timers are set a day ahead while the workers start, then all moved by
the same amount so that the window opens a second after the workers poll.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import func, select, update

import fireline.alerts.jobs  # noqa: F401  (registers alert groups as a subject of pages)
from bench.ingest.run import Process, fresh_database, wait_for
from bench.paging.report import Result, load_average, spread
from bench.paging.world import World, fireline_env, fireline_process, pagerduty_event, seed
from fireline.alerts import pipeline
from fireline.alerts.models import AlertGroup
from fireline.alerts.sources import pagerduty
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.core.migrate import upgrade
from fireline.oncall import paging
from fireline.oncall.models import EscalationPolicy, Notification

TARGET_P99_SECONDS = 1.0
DELAY_MINUTES = 1
CHUNK = 500
# Timers are set this far ahead while the workers start, then moved to the window.
PARKED = timedelta(days=1)


def chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def open_groups(db: Database, world: World, count: int) -> list[int]:
    """``count`` alert groups, opened by the alert pipeline as ingestion does."""
    now = datetime.now(UTC)
    for block in chunks(range(count), 2000):
        alerts = [
            pagerduty.parse_event(pagerduty_event(world.key, f"t-{n:05d}"), now, lambda: "")[1]
            for n in block
        ]
        with db.transaction() as session:
            pipeline.apply(
                session, [pipeline.Submission(world.integration_id, world.key_hash, alerts)], now
            )
    with db.session() as session:
        return list(session.scalars(select(AlertGroup.id).order_by(AlertGroup.id)))


def start_pages(
    db: Database, world: World, group_ids: list[int], first_due: datetime, window: float
) -> None:
    """A page per group whose first step ran one step delay before its second
    step comes due; the due times are spread evenly over ``window`` seconds."""
    spacing = timedelta(seconds=window / len(group_ids))
    for offset, block in zip(
        range(0, len(group_ids), CHUNK), chunks(group_ids, CHUNK), strict=True
    ):
        with db.transaction() as session:
            policy = session.get_one(EscalationPolicy, world.policy_id)
            for n, group_id in enumerate(block, start=offset):
                group = session.get_one(AlertGroup, group_id)
                stepped = first_due + n * spacing - timedelta(minutes=DELAY_MINUTES)
                page = paging.start(
                    session,
                    subject_type="alert_group",
                    subject_id=group.id,
                    title=f"{group.ref} {group.title}",
                    urgency=group.urgency,
                    policy=policy,
                    now=stepped,
                )
                paging.run_step(
                    session,
                    page_id=page.id,
                    generation=page.generation,
                    step=0,
                    loop=0,
                    now=stepped,
                )
    with db.transaction() as session:
        # What the setup did directly is marked as done: the groups' page jobs,
        # the first steps' jobs and their messages (as if delivered before the
        # window). Only the second steps' timers are left queued.
        queued = session.execute(
            select(Job.id, Job.kind, Job.payload).where(Job.state == "queued")
        ).all()
        done = [
            {"id": job_id, "state": "done", "finished_at": datetime.now(UTC)}
            for job_id, kind, payload in queued
            if kind != paging.STEP_JOB or payload["step"] != 1
        ]
        session.execute(update(Job), done)
        session.execute(
            update(Notification)
            .where(Notification.status == "queued")
            .values(status="sent", sent_at=Notification.created_at)
        )


def move_timers(db: Database, by: timedelta) -> int:
    """Move every queued timer by the same amount (their spacing is the
    engine's); returns how many there are."""
    with db.transaction() as session:
        timers = session.execute(
            select(Job.id, Job.due_at).where(Job.kind == paging.STEP_JOB, Job.state == "queued")
        ).all()
        session.execute(update(Job), [{"id": i, "due_at": due + by} for i, due in timers])
    return len(timers)


def start_workers(db: Database, count: int, workdir: Path, poll: float | None) -> list[Process]:
    extra = {"FIRELINE_WORKER_POLL_SECONDS": str(poll)} if poll else {}
    # INFO is fireline's default; its "started" line says the worker is polling.
    env = fireline_env(db, FIRELINE_LOG_LEVEL="INFO", **extra)
    workers = [fireline_process(f"worker-{n}", ["worker"], env, workdir) for n in range(count)]
    for worker in workers:
        wait_for(partial(polling, worker), 60, f"{worker.name} to start")
    return workers


def polling(worker: Process) -> bool:
    worker.check()
    return "started" in worker.log.read_text(errors="replace")


def all_ran(db: Database, workers: list[Process]) -> bool:
    for worker in workers:
        worker.check()
    with db.session() as session:
        left = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == paging.STEP_JOB, Job.state.in_(("queued", "running")))
        )
    return left == 0


@dataclass
class Timings:
    """Seconds from each timer's due time to its handler's start, to its job's
    end and to its message being sent; and how many were claimed again."""

    to_start: list[float] = field(default_factory=list)
    to_finish: list[float] = field(default_factory=list)
    to_send: list[float] = field(default_factory=list)
    repeats: int = 0
    # From the first due time to the last start: the rate the workers achieved.
    span: float = 0.0


def lateness(db: Database) -> Timings:
    with db.session() as session:
        jobs = session.execute(
            select(Job.payload, Job.due_at, Job.finished_at, Job.attempts).where(
                Job.kind == paging.STEP_JOB, Job.state == "done"
            )
        ).all()
        started = dict(
            session.execute(
                select(Notification.page_id, func.min(Notification.created_at))
                .where(Notification.kind == "page", Notification.step == 1)
                .group_by(Notification.page_id)
            ).all()
        )
        sent = dict(
            session.execute(
                select(Notification.page_id, func.max(Notification.sent_at))
                .where(Notification.kind == "page", Notification.step == 1)
                .group_by(Notification.page_id)
            ).all()
        )
    timings = Timings()
    dues = []
    for payload, due, finished, attempts in jobs:
        if payload["step"] != 1:
            continue  # a first step, run by the setup
        page = payload["page_id"]
        dues.append(due)
        timings.to_start.append((started[page] - due).total_seconds())
        timings.to_finish.append((finished - due).total_seconds())
        if sent.get(page) is not None:
            timings.to_send.append((sent[page] - due).total_seconds())
        timings.repeats += attempts - 1
    if dues:
        timings.span = (max(started.values()) - min(dues)).total_seconds()
    return timings


def run(args: argparse.Namespace, workdir: Path) -> list[Result]:
    workers: list[Process] = []
    with fresh_database(workdir, args.postgres) as url:
        db = Database(url)
        try:
            upgrade(db.engine)
            world = seed(db, channel="log", steps=2, delay_minutes=DELAY_MINUTES)
            began = time.monotonic()
            groups = open_groups(db, world, args.pages)
            parked = datetime.now(UTC) + PARKED
            start_pages(db, world, groups, parked, args.window)
            print(
                f"    {len(groups):,} pages set up in {time.monotonic() - began:.0f} s", flush=True
            )
            workers = start_workers(db, args.workers, workdir, args.poll)
            first_due = datetime.now(UTC) + timedelta(seconds=1)
            if move_timers(db, first_due - parked) != len(groups):
                raise RuntimeError("the setup should leave exactly one timer per page")
            wait_for(partial(all_ran, db, workers), args.window + args.drain, "every timer to run")
            load = load_average()
            timings = lateness(db)
        finally:
            for worker in workers:
                worker.stop()
            db.dispose()
    return results(args, timings, load[0])


def results(args: argparse.Namespace, timings: Timings, load: float) -> list[Result]:
    database = "postgresql" if args.postgres else "sqlite"
    scenario = f"timers ({database}, {args.workers} worker{'s' if args.workers > 1 else ''})"
    started, finished, sent = (
        spread(timings.to_start),
        spread(timings.to_finish),
        spread(timings.to_send),
    )
    ran = len(timings.to_start)
    return [
        Result(
            scenario,
            "timers run",
            ran,
            target=f"{args.pages:,}, each once",
            meets=ran == args.pages and timings.repeats == 0,
            note=f"{args.pages:,} due over {args.window:g} s "
            f"({args.pages / args.window:,.0f}/s); {timings.repeats} claimed again",
        ),
        Result(
            scenario,
            "timers run per second",
            round(ran / timings.span, 1) if timings.span else None,
            "/s",
            note="from the first due time to the last start",
        ),
        Result(scenario, "lateness p50 (started - due)", started["p50"] * 1000, "ms"),
        Result(
            scenario,
            "lateness p99 (started - due)",
            started["p99"] * 1000,
            "ms",
            f"< {TARGET_P99_SECONDS * 1000:g} ms",
            started["p99"] < TARGET_P99_SECONDS,
        ),
        Result(scenario, "lateness max (started - due)", started["max"] * 1000, "ms"),
        Result(
            scenario,
            "finished - due p99",
            finished["p99"] * 1000,
            "ms",
            note=f"p50 {finished['p50'] * 1000:.0f} ms, max {finished['max'] * 1000:.0f} ms",
        ),
        Result(
            scenario,
            "second step's message sent - due p99",
            sent["p99"] * 1000,
            "ms",
            note=f"p50 {sent['p50'] * 1000:.0f} ms (the log channel)",
        ),
        Result(scenario, "load average (1 min) at the end", round(load, 2)),
    ]
