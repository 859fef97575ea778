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
from datetime import datetime, timedelta

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.jobs.models import Job, JobState
from fireline.core.jobs.registry import (
    JobContext,
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


class Worker:
    """Claims due jobs and runs them, one at a time, in this thread.

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
        load_handler_modules(settings.job_modules)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch of due jobs and run them; return how many were run.

        When ``stop`` is set the job in hand is finished and the rest of the
        batch is given back at once, so a stopping worker neither delays its
        shutdown by a whole batch nor leaves jobs waiting for a lease to expire.
        """
        self._next_due = None
        with self.db.transaction() as session:
            ids = queue.claim(
                session,
                worker_id=self.worker_id,
                now=self.clock.now(),
                lease=self.lease,
                limit=self.settings.worker_batch,
                default_max_attempts=self.settings.job_max_attempts,
            )
            if not ids:
                self._next_due = queue.next_due(session)
        for ran, job_id in enumerate(ids):
            if stop is not None and stop.is_set():
                self.release(ids[ran:])
                return ran
            self.run_job(job_id)
        return len(ids)

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

    def release(self, job_ids: list[int]) -> None:
        with self.db.transaction() as session:
            queue.release(session, job_ids=job_ids, worker_id=self.worker_id, now=self.clock.now())
        log.info("worker=%s released=%d reason=stopping", self.worker_id, len(job_ids))

    def run_job(self, job_id: int) -> JobState | None:
        """Run one claimed job: its handler's writes and its completion commit together."""
        with self.db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.locked_by != self.worker_id:
                return None
            kind = job.kind
            try:
                handler = handler_for(kind)
                context = JobContext(
                    session, job, dict(job.payload), self.clock.now(), self.clock, self.settings
                )
                handler(context)
                if not queue.complete(
                    session, job_id=job_id, worker_id=self.worker_id, now=self.clock.now()
                ):
                    session.rollback()
                    log.warning("job=%s kind=%s lease lost: another worker has it", job_id, kind)
                    return None
                session.commit()
                log.info("job=%s kind=%s state=done worker=%s", job_id, kind, self.worker_id)
                return JobState.done
            except Exception as exc:  # a handler may raise anything; the worker must go on
                session.rollback()
                error = describe_error(exc)
        with self.db.transaction() as session:
            state = queue.fail(
                session,
                job_id=job_id,
                worker_id=self.worker_id,
                error=error,
                now=self.clock.now(),
                rng=self.rng,
            )
        log.warning("job=%s kind=%s state=%s error=%s", job_id, kind, state, error)
        return state

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
        """Poll until ``stop`` is set; the job in hand is finished first."""
        log.info("worker=%s started", self.worker_id)
        next_periodic = self.clock.now()
        while not stop.is_set():
            try:
                if self.clock.now() >= next_periodic:
                    self.schedule_periodic()
                    next_periodic = self.clock.now() + PERIODIC_CHECK_EVERY
                claimed = self.run_once(stop)
            except Exception as exc:  # the database may be away for a moment; keep polling
                log.error("worker=%s polling failed: %s", self.worker_id, describe_error(exc))
                claimed = 0
            if claimed == 0:
                stop.wait(self.idle_seconds())
        log.info("worker=%s stopped", self.worker_id)


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
        self._thread.join(timeout)
