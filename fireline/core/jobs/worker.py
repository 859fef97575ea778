"""The worker loop: claim due jobs, run their handlers, record the outcome.

Any number of workers can run against one PostgreSQL. A job is leased while
it runs; if its worker dies (even by SIGKILL) the lease runs out and another
worker takes the job again. A handler's database writes commit in the same
transaction that marks the job done, so a finished job is never run twice.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from datetime import timedelta

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.jobs.builtin import HOUSEKEEPING
from fireline.core.jobs.models import Job, JobState
from fireline.core.jobs.registry import JobContext, handler_for, load_handler_modules

log = logging.getLogger("fireline.jobs")
HOUSEKEEPING_EVERY = timedelta(hours=1)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
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
        load_handler_modules(settings.job_modules)

    def run_once(self) -> int:
        """Claim one batch of due jobs and run them; return how many were claimed."""
        with self.db.transaction() as session:
            ids = queue.claim(
                session,
                worker_id=self.worker_id,
                now=self.clock.now(),
                lease=self.lease,
                limit=self.settings.worker_batch,
            )
        for job_id in ids:
            self.run_job(job_id)
        return len(ids)

    def run_job(self, job_id: int) -> JobState | None:
        with self.db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.locked_by != self.worker_id:
                return None
            try:
                handler = handler_for(job.kind)
                handler(JobContext(session, job, dict(job.payload), self.clock.now(), self.clock))
                if not queue.complete(
                    session, job_id=job_id, worker_id=self.worker_id, now=self.clock.now()
                ):
                    session.rollback()
                    log.warning("job %s (%s): lease lost, another worker has it", job_id, job.kind)
                    return None
                session.commit()
                log.info("job %s (%s) done", job_id, job.kind)
                return JobState.done
            except Exception as exc:  # a handler may raise anything; the worker must go on
                session.rollback()
                error = f"{type(exc).__name__}: {exc}"
                log.warning("job %s (%s) failed: %s", job_id, job.kind, error)
        with self.db.transaction() as session:
            return queue.fail(
                session,
                job_id=job_id,
                worker_id=self.worker_id,
                error=error,
                now=self.clock.now(),
                rng=self.rng,
            )

    def schedule_housekeeping(self) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            queue.enqueue(
                session,
                kind=HOUSEKEEPING,
                payload={},
                now=now,
                idempotency_key=f"{HOUSEKEEPING}:{now:%Y-%m-%dT%H}",
            )

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; the job in hand is finished first."""
        log.info("worker %s started", self.worker_id)
        next_housekeeping = self.clock.now()
        while not stop.is_set():
            try:
                if self.clock.now() >= next_housekeeping:
                    self.schedule_housekeeping()
                    next_housekeeping = self.clock.now() + HOUSEKEEPING_EVERY
                claimed = self.run_once()
            except Exception:  # the database may be away for a moment; keep polling
                log.exception("worker %s: polling failed", self.worker_id)
                claimed = 0
            if claimed == 0:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.worker_id)


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
