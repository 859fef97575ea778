"""Group commit: many requests' alerts written in one transaction.

A request hands its parsed alerts to the committer and waits; a single
writer thread takes everything that queued up while the previous transaction
was committing, applies it in one transaction and answers every waiter at
once. Each request is still answered only after its alerts are committed, but
the cost of a commit (a WAL flush) is shared by all of them: under load the
batches grow by themselves, and an idle server commits at once.

The writer prepares a batch (routing, grouping keys, silences, stored forms:
:func:`fireline.alerts.pipeline.prepare`) before it begins the transaction,
so that the write lock, which every ingest process waits for, is held only
for the reads and writes themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from fireline.alerts import pipeline
from fireline.alerts.pipeline import IntegrationState, Outcome, Submission
from fireline.alerts.storage import stored_form
from fireline.core.clock import Clock
from fireline.core.db import Database

log = logging.getLogger("fireline.alerts")
MAX_BATCH_ALERTS = 5000
# PostgreSQL: refresh the alert tables' statistics each time this writer has
# doubled what it wrote since it started (from this many alerts on).
FIRST_ANALYZE_AFTER = 1000


class CommitFailed(RuntimeError):
    """The database refused the batch; the sender should retry (503)."""


@dataclass(slots=True)
class _Pending:
    work: Submission
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Outcome]

    def size(self) -> int:
        return len(self.work.alerts)


class GroupCommitter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._form = stored_form(db.engine.dialect.name)
        # The integrations as the last transaction read them: a batch is
        # prepared with these, and prepared again if the transaction finds
        # that one has changed since.
        self._integrations: dict[int, IntegrationState] = {}
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0
        self.submissions = 0
        self.written = 0
        self._analyze_at = FIRST_ANALYZE_AFTER

    async def submit(self, work: Submission) -> Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._ensure_started()
        self._queue.put(_Pending(work, loop, future))
        return await future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fireline-ingest-writer", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Finish what is queued, then end the writer thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stopping = [first], False
            size = first.size()
            while size < MAX_BATCH_ALERTS:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
                size += nxt.size()
            self._commit(batch)
            if stopping:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            now = self.clock.now()
            context = pipeline.context_for(self.db, now)
            known = self._integrations
            prepared = [
                pipeline.prepare(p.work, known.get(p.work.integration_id), context, now, self._form)
                for p in batch
            ]
            with self.db.transaction() as session:
                results, read = pipeline.apply_prepared(session, prepared, context, now)
            known.update(read)
        except Exception as exc:
            if len(batch) > 1:
                # One bad submission must not fail its neighbours: try each alone.
                for pending in batch:
                    self._commit([pending])
                return
            log.error("alert batch not committed: %s: %s", type(exc).__name__, exc)
            _answer(batch[0], error=CommitFailed("the database did not accept the alerts"))
            return
        self.batches += 1
        self.submissions += len(batch)
        for pending, result in zip(batch, results, strict=True):
            _answer(pending, result=result)
        self.written += sum(p.size() for p in batch)
        if self.written >= self._analyze_at:
            self._analyze_at = 2 * self.written
            self._analyze()

    def _analyze(self) -> None:
        """Autovacuum re-reads statistics after a minute at the soonest; a
        fresh installation flooded with alerts would meanwhile be planned as
        if its tables were empty (every open alert of an integration read to
        find a few by key). Doubling points keep this to a few dozen runs."""
        engine = self.db.engine
        if engine.dialect.name != "postgresql":
            return
        try:
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    # Only the columns the writer's lookups filter on: the JSON
                    # columns made a full ANALYZE cost a quarter of the server.
                    "ANALYZE alerts (integration_id, dedup_key, is_open, group_id),"
                    " alert_groups (service_id, group_key, is_open)"
                )
        except Exception as exc:  # statistics are an optimisation, never a failure
            log.warning("could not analyze the alert tables: %s", exc)


def _answer(
    pending: _Pending, *, result: Outcome | None = None, error: BaseException | None = None
) -> None:
    def settle() -> None:
        if pending.future.done():
            return  # the client went away
        if result is not None:
            pending.future.set_result(result)
        else:
            pending.future.set_exception(error or CommitFailed("no outcome"))

    # A closed loop means nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        pending.loop.call_soon_threadsafe(settle)
