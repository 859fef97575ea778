"""The worker loop: claim due jobs, run their handlers, record the outcome.

Any number of workers can run against one PostgreSQL. A job is leased while
it runs; if its worker dies (even by SIGKILL) the lease runs out and another
worker takes the job again. A handler's database writes commit in the same
transaction that marks the job done, so a finished job is never run twice.

Use from a process of your own (``fireline worker`` does exactly this)::

    stop = threading.Event()          # set it from a SIGTERM/SIGINT handler
    Worker(db, SystemClock(), settings).run_forever(stop)
"""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import threading
import uuid
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs import doorbell, queue
from fireline.core.jobs.models import Job, JobState
from fireline.core.jobs.registry import (
    Effect,
    EffectNotDone,
    JobContext,
    UnknownJobKind,
    handler_for,
    load_handler_modules,
    periodic_kinds,
)

log = logging.getLogger("fireline.jobs")
PERIODIC_CHECK_EVERY = timedelta(seconds=30)
# The shortest sleep between polls: a job that is due but held by another
# worker's claim (SKIP LOCKED passes over it) must not make this one spin.
MIN_IDLE_SECONDS = 0.01
ERROR_SUMMARY_LENGTH = 300
# Transactions tried for an effect's record before its job is failed (and so
# its effect performed again).
RECORD_ATTEMPTS = 3
# Webhook URLs carry their secret in the path (and sometimes user:password@),
# so a URL in an error keeps only its scheme and host.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^\s/@'\"<>]*@)?([^\s/?#'\"<>]*)[^\s'\"<>]*")
_SECRET_VALUE = re.compile(
    r"(?i)\b(\w*(?:password|passwd|secret|token|api[_-]?key|authorization)\w*)(\s*[=:]\s*)"
    r"(bearer\s+)?[^\s,;]+"
)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _scheme_and_host(match: re.Match[str]) -> str:
    kept = match[1] + match[2]
    return kept if match[0] == kept else kept + "/…"


def describe_error(exc: BaseException) -> str:
    """A short, secret-free line for ``last_error`` and the log.

    Only the first line of the message is kept: database errors put the SQL
    parameters (payload values) on the following ones, and a stack trace
    belongs in a debugger, not in a column that managers read.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    message = lines[0] if lines else ""
    message = _URL.sub(_scheme_and_host, message)
    message = _SECRET_VALUE.sub(lambda m: f"{m[1]}{m[2]}[redacted]", message)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if len(text) > ERROR_SUMMARY_LENGTH:
        text = text[: ERROR_SUMMARY_LENGTH - 1] + "…"
    return text


@dataclass(frozen=True)
class _Pending:
    """A job whose handler has committed and whose effect is still to do."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    effect: Effect[Any]


@dataclass(frozen=True)
class _InFlight:
    pending: _Pending
    future: futures.Future[_Attempt]


@dataclass
class _Outcome:
    """What running a claimed job came to, logged once its batch commits."""

    job_id: int
    kind: str
    error: str | None = None
    state: JobState | None = None  # after a failure: queued again, or dead
    done: list[tuple[int, str]] = field(default_factory=list)  # it and its follow-ups
    pending: list[_Pending] = field(default_factory=list)

    def log(self, worker_id: str) -> None:
        for job_id, kind in self.done:
            log.info("job=%s kind=%s state=done worker=%s", job_id, kind, worker_id)
        if self.error is not None:
            log.warning(
                "job=%s kind=%s state=%s error=%s", self.job_id, self.kind, self.state, self.error
            )


@dataclass(frozen=True)
class _Attempt:
    value: Any = None
    error: str | None = None


def _attempt(effect: Effect[Any]) -> _Attempt:
    try:
        return _Attempt(value=effect.perform())
    except Exception as exc:  # reported as the job's failure, never lost
        return _Attempt(error=describe_error(exc))


class Worker:
    """Claims due jobs in batches and runs their handlers in this thread; the
    effects they leave are performed on a pool of threads.

    A batch is one transaction: the claim, then each job's handler in a
    savepoint of its own with the job's completion (or its failure, once the
    savepoint is undone). On SQLite this holds the write lock for the batch,
    a few milliseconds a job, in exchange for one commit instead of one per
    job and rows that later jobs of the batch find already loaded.

    ``worker_id`` names the worker in ``locked_by``; the default,
    ``host:pid:random``, is unique across processes and restarts.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.worker_id = worker_id or new_worker_id()
        self.rng = rng or random.Random()
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self._next_due: datetime | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.polls = 0  # claims tried so far: a sign of life for tests and metrics
        load_handler_modules(settings.job_modules)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch of due jobs and run them, effects included; return
        how many were run.

        When ``stop`` is set the job in hand is finished and the rest of the
        batch is given back at once, so a stopping worker neither delays its
        shutdown by a whole batch nor leaves jobs waiting for a lease to expire.
        """
        ran, pending = self._run_batch(self.settings.worker_batch, stop)
        self._perform(pending)
        return ran

    def idle_seconds(self) -> float:
        """How long to wait after a poll that found nothing due: the poll
        interval, or less when a queued job (an escalation timer, a retry)
        comes due sooner. Timers then run when they are due, not up to a poll
        interval later, without polling more often."""
        poll = self.settings.worker_poll_seconds
        if self._next_due is None:
            return poll
        until = (self._next_due - self.clock.now()).total_seconds()
        return min(poll, max(MIN_IDLE_SECONDS, until))

    def _run_batch(self, limit: int, stop: threading.Event | None) -> tuple[int, list[_Pending]]:
        """Claim up to ``limit`` jobs and run their handlers; return how many
        ran and the effects they left to perform."""
        self._next_due = None
        self.polls += 1
        outcomes: list[_Outcome] = []
        with self.db.session(hold=True) as session:
            jobs = queue.claim_jobs(
                session,
                worker_id=self.worker_id,
                now=self.clock.now(),
                lease=self.lease,
                limit=limit,
                default_max_attempts=self.settings.job_max_attempts,
            )
            if not jobs:
                self._next_due = queue.next_due(session)
            for ran, job in enumerate(jobs):
                if stop is not None and stop.is_set():
                    left = [j.id for j in jobs[ran:]]
                    queue.release(
                        session, job_ids=left, worker_id=self.worker_id, now=self.clock.now()
                    )
                    log.info("worker=%s released=%d reason=stopping", self.worker_id, len(left))
                    break
                outcomes.append(self._handle(session, job))
            session.commit()
        pending: list[_Pending] = []
        for outcome in outcomes:
            outcome.log(self.worker_id)
            pending += outcome.pending
        return len(outcomes), pending

    def _handle(self, session: Session, job: Job) -> _Outcome:
        """Run one claimed job's handler in a savepoint: its writes and the
        job's completion stand or fall together. A handler that leaves an
        effect keeps its job running (leased) until the effect is recorded.
        A failure undoes the savepoint and records the attempt instead."""
        outcome = _Outcome(job.id, job.kind)
        now = self.clock.now()
        due_now: list[Job] = []
        session.info[queue.DUE_NOW] = due_now
        try:
            with session.begin_nested():
                payload = dict(job.payload)
                context = JobContext(session, job, payload, now, self.clock, self.settings)
                effect = handler_for(job.kind)(context)
                if effect is None:
                    queue.complete(session, job_id=job.id, worker_id=self.worker_id, now=now)
                    outcome.done.append((job.id, job.kind))
                else:
                    outcome.pending.append(_Pending(job.id, job.kind, payload, effect))
                self._follow_up(session, due_now, now, outcome)
        except Exception as exc:  # a handler may raise anything; the worker must go on
            outcome = _Outcome(job.id, job.kind, error=describe_error(exc))
            outcome.state = self._fail(session, job.id, outcome.error or "")
        finally:
            session.info.pop(queue.DUE_NOW, None)
        return outcome

    def _follow_up(
        self, session: Session, due_now: list[Job], now: datetime, outcome: _Outcome
    ) -> None:
        """Run the jobs a handler queued for now right away, each in a
        savepoint of its own, rather than leaving them for the next poll: a
        page's messages go out with no claim of their own and find the rows
        they need already loaded. A follow-up that fails is undone and stays
        queued, to be claimed and retried as any job."""
        taken = 0
        while due_now and taken < self.settings.worker_batch:
            job = due_now.pop(0)
            try:
                handler = handler_for(job.kind)
            except UnknownJobKind:
                continue  # a worker that knows the kind (or nobody) takes it later
            taken += 1
            queued_before = len(due_now)
            try:
                with session.begin_nested():
                    queue.take(
                        job,
                        worker_id=self.worker_id,
                        now=now,
                        lease=self.lease,
                        default_max_attempts=self.settings.job_max_attempts,
                    )
                    payload = dict(job.payload)
                    effect = handler(
                        JobContext(session, job, payload, now, self.clock, self.settings)
                    )
                    if effect is None:
                        queue.complete(session, job_id=job.id, worker_id=self.worker_id, now=now)
                        outcome.done.append((job.id, job.kind))
                    else:
                        outcome.pending.append(_Pending(job.id, job.kind, payload, effect))
            except Exception as exc:  # undone with its savepoint; the job waits for a claim
                del due_now[queued_before:]  # what it queued was undone too
                log.warning(
                    "job=%s kind=%s left for a later claim: %s",
                    job.id,
                    job.kind,
                    describe_error(exc),
                )

    def _perform(self, pending: list[_Pending]) -> list[JobState | None]:
        """Perform effects (together, on the pool, when there are several),
        then record their outcomes, each completing its job."""
        if not pending:
            return []
        if len(pending) == 1:
            results = [_attempt(pending[0].effect)]
        else:
            results = list(self._pool().map(lambda p: _attempt(p.effect), pending))
        return self._record(pending, results)

    def _record(self, pending: list[_Pending], results: list[_Attempt]) -> list[JobState | None]:
        """Record every outcome in one transaction, each in a savepoint with
        its job's completion. A failed effect fails its job alone. A record
        that fails (two workers' records can deadlock on a row they share) is
        tried again on its own before its job is failed: failing it would
        perform the effect, a message already sent, a second time."""
        states: dict[int, JobState | None] = {}
        failed = {p.job_id: r.error for p, r in zip(pending, results, strict=True) if r.error}
        again: list[tuple[_Pending, Any]] = []
        with self.db.session(hold=True) as session:
            now = self.clock.now()
            for item, result in zip(pending, results, strict=True):
                if item.job_id in failed:
                    states[item.job_id] = self._fail(session, item.job_id, failed[item.job_id])
                    continue
                try:
                    with session.begin_nested():
                        states[item.job_id] = self._record_one(session, item, result.value, now)
                except EffectNotDone as exc:
                    failed[item.job_id] = describe_error(exc)
                    states[item.job_id] = self._fail(session, item.job_id, failed[item.job_id])
                except Exception:  # tried again alone, below
                    again.append((item, result.value))
            session.commit()
        for item, value in again:
            states[item.job_id], error = self._record_alone(item, value)
            if error is not None:
                failed[item.job_id] = error
        for item in pending:
            state = states.get(item.job_id)
            outcome = _Outcome(item.job_id, item.kind, error=failed.get(item.job_id), state=state)
            if state is JobState.done:
                outcome.done.append((item.job_id, item.kind))
            outcome.log(self.worker_id)
        return [states.get(item.job_id) for item in pending]

    def _record_alone(self, item: _Pending, value: Any) -> tuple[JobState | None, str | None]:
        """Record one outcome in transactions of its own, a few times; then
        fail its job. Returns the job's state and the last error, if any."""
        error = ""
        for _ in range(RECORD_ATTEMPTS):
            try:
                with self.db.transaction() as session:
                    return self._record_one(session, item, value, self.clock.now()), None
            except EffectNotDone as exc:
                error = describe_error(exc)
                break
            except Exception as exc:  # as in _handle: the worker must go on
                error = describe_error(exc)
        with self.db.transaction() as session:
            return self._fail(session, item.job_id, error), error

    def _fail(self, session: Session, job_id: int, error: str) -> JobState | None:
        return queue.fail(
            session,
            job_id=job_id,
            worker_id=self.worker_id,
            error=error,
            now=self.clock.now(),
            rng=self.rng,
        )

    def _record_one(
        self, session: Session, item: _Pending, value: Any, now: datetime
    ) -> JobState | None:
        job = session.get(Job, item.job_id)
        if job is None or job.locked_by != self.worker_id:
            log.warning("job=%s kind=%s lease lost: another worker has it", item.job_id, item.kind)
            return None
        item.effect.record(
            JobContext(session, job, item.payload, now, self.clock, self.settings), value
        )
        queue.complete(session, job_id=item.job_id, worker_id=self.worker_id, now=now)
        return JobState.done

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.settings.worker_batch, thread_name_prefix="fireline-effect"
            )
        return self._executor

    def schedule_periodic(self) -> None:
        """Enqueue each periodic kind for the current period, once across all workers."""
        now = self.clock.now()
        epoch = int(now.timestamp())
        with self.db.transaction() as session:
            for kind, every in periodic_kinds().items():
                period = epoch // max(1, int(every.total_seconds()))
                queue.enqueue(
                    session,
                    kind=kind,
                    payload={},
                    now=now,
                    idempotency_key=f"{kind}:{period}",
                )

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; the job in hand, and the effects in
        flight, are finished first.

        Effects are performed on the pool while this thread goes on with the
        next jobs, and recorded as they finish: a worker waiting for a mail
        server is not a worker idle."""
        log.info("worker=%s started", self.worker_id)
        next_periodic = self.clock.now()
        in_flight: list[_InFlight] = []
        while not stop.is_set():
            claimed = 0
            try:
                if self.clock.now() >= next_periodic:
                    self.schedule_periodic()
                    next_periodic = self.clock.now() + PERIODIC_CHECK_EVERY
                in_flight = self._record_finished(in_flight)
                room = self.settings.worker_batch - len(in_flight)
                if room > 0:
                    claimed, pending = self._run_batch(room, stop)
                    in_flight += [
                        _InFlight(p, self._pool().submit(_attempt, p.effect)) for p in pending
                    ]
            except Exception as exc:  # the database may be away for a moment; keep polling
                log.error("worker=%s polling failed: %s", self.worker_id, describe_error(exc))
            if claimed == 0 and not stop.is_set():
                if in_flight:
                    futures.wait(
                        [f.future for f in in_flight],
                        timeout=self.idle_seconds(),
                        return_when=futures.FIRST_COMPLETED,
                    )
                else:
                    doorbell.wait(self.idle_seconds())
        futures.wait([f.future for f in in_flight])
        self._record_finished(in_flight)
        log.info("worker=%s stopped", self.worker_id)

    def _record_finished(self, in_flight: list[_InFlight]) -> list[_InFlight]:
        """Record the effects that have finished; return those still running."""
        finished: list[_InFlight] = []
        running: list[_InFlight] = []
        for item in in_flight:
            (finished if item.future.done() else running).append(item)
        if finished:
            self._record([f.pending for f in finished], [f.future.result() for f in finished])
        return running


class BackgroundWorker:
    """A :class:`Worker` on a daemon thread, for ``fireline serve``."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.worker = Worker(db, clock, settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.worker.run_forever, args=(self._stop,), name="fireline-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        doorbell.ring()
        self._thread.join(timeout)
