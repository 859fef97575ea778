"""Group commit: many requests' alerts written in one transaction.

A request hands its parsed alerts to the committer and waits; the committer
takes everything that queued up while the previous transaction was
committing, applies it in one transaction and answers every waiter at once.
Each request is still answered only after its alerts are committed, but the
cost of a commit (a WAL flush) is shared by all of them: under load the
batches grow by themselves, and an idle server commits at once.

Where the transaction runs depends on the database:

- **PostgreSQL** (:class:`ThreadCommitter`): on a writer thread. Most of a
  transaction is waiting for the server, during which the event loop goes on
  parsing requests. The transaction first waits for the alerts' lock that
  every ingest process takes, and only then takes what has queued, so that
  the requests that arrived during the wait come along.
- **SQLite** (:class:`LoopCommitter`): on the event loop itself, between its
  other callbacks. SQLite works inside this process, so a writer thread only
  competed with the loop for the interpreter: with one server process, single
  events went from about 5,100 to 7,500 requests/s when the thread went. The
  loop never waits for the write lock another process holds: a helper thread
  waits for it and hands it to the loop, which meanwhile reads more requests.

Either way each submission is prepared (routing, grouping keys, silences,
stored forms: :func:`fireline.alerts.pipeline.prepare`) as it arrives, so that
the write lock, which every ingest process waits for, is held only for the
reads and writes themselves; and the transactions run on one connection the
committer keeps, through the DB-API (:mod:`fireline.core.held`), without the
pool and an ORM session around each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fireline.alerts import pipeline, routing_context
from fireline.alerts.pipeline import IntegrationState, Outcome, PreparedSubmission, Submission
from fireline.alerts.routing import Context
from fireline.alerts.storage import Statements, stored_form
from fireline.core import pglocks
from fireline.core.clock import Clock
from fireline.core.db import SQLITE_BUSY_TIMEOUT_MS, Database
from fireline.core.held import HeldConnection
from fireline.core.jobs import doorbell
from fireline.core.sqlite_writers import WriterQueue

log = logging.getLogger("fireline.alerts")
MAX_BATCH_ALERTS = 5000
# SQLite: a transaction holds up this process's event loop, pages and API
# included, so its batches stay smaller (about 40 ms of writing).
MAX_LOOP_BATCH_ALERTS = 2000
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
    prepared: PreparedSubmission | None = None  # None: prepared with its batch

    def size(self) -> int:
        return len(self.work.alerts)


def make_committer(db: Database, clock: Clock) -> GroupCommitter:
    if db.writers is not None:
        return LoopCommitter(db, clock, db.writers)
    return ThreadCommitter(db, clock)


class GroupCommitter:
    """What both committers share: one batch's transaction and its answers."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._form = stored_form(db.engine.dialect.name)
        self._held = HeldConnection(db.engine, db.writers)
        # SQLite's BEGIN IMMEDIATE already admits one writer at a time.
        self._lock_statement = (
            None if self._form.sqlite else pglocks.xact_lock(pipeline.ALERTS_LOCK)
        )
        # The integrations as the last transaction read them: a batch is
        # prepared with these, and prepared again if the transaction finds
        # that one has changed since.
        self._integrations: dict[int, IntegrationState] = {}
        self.batches = 0
        self.submissions = 0
        self.written = 0
        self._analyze_at = FIRST_ANALYZE_AFTER

    async def submit(self, work: Submission) -> Outcome:
        raise NotImplementedError

    def stop(self, timeout: float = 30) -> None:
        """Finish what is queued."""

    def _commit(
        self,
        batch: list[_Pending],
        *,
        writer_lock_taken: bool = False,
        more: Callable[[], list[_Pending]] | None = None,
    ) -> None:
        """Write a batch and settle its futures. ``writer_lock_taken``: the
        caller holds the SQLite writers' lock, which this releases. ``more``:
        once the transaction holds the alerts' lock, what else has queued
        meanwhile, added to the batch."""
        try:
            try:
                now = self.clock.now()
                context = routing_context.outside_transaction(self.db, now)
                prepared = [p.prepared or self._prepare(p.work, context, now) for p in batch]
            except BaseException:
                if writer_lock_taken and self.db.writers is not None:
                    self.db.writers.release()
                raise
            with self._writing(now, writer_lock_taken=writer_lock_taken) as (sql, enqueue):
                for pending in more() if more is not None else ():
                    batch.append(pending)
                    prepared.append(pending.prepared or self._prepare(pending.work, context, now))
                results, read = pipeline.apply_on(sql, prepared, context, now, enqueue)
            self._integrations.update(read)
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
        if self.written >= self._analyze_at and self.db.dialect == "postgresql":
            self._analyze_at = 2 * self.written
            # Apart from the writer: the next batch must not wait for it.
            threading.Thread(target=self._analyze, name="fireline-analyze", daemon=True).start()

    @contextlib.contextmanager
    def _writing(
        self, now: datetime, *, writer_lock_taken: bool
    ) -> Iterator[tuple[Statements, pipeline.JobSink]]:
        """A batch's transaction on the connection this committer keeps
        (fireline.core.held), holding the alerts' lock; its jobs are queued
        on that connection too, and this process's workers woken once it
        has committed."""
        queued = False
        with self._held.transaction(
            writer_lock_taken=writer_lock_taken, first=self._lock_statement
        ) as cursor:
            sql = Statements(cursor, self._form)

            def enqueue(kind: str, payload: dict[str, Any], key: str) -> None:
                nonlocal queued
                sql.enqueue_job(kind, payload, key, now)
                queued = True

            yield sql, enqueue
        if queued:
            doorbell.ring()

    def _arrived(self, work: Submission, loop: asyncio.AbstractEventLoop) -> _Pending:
        """A submission, prepared now, while no lock is held: its transaction
        then only applies it."""
        now = self.clock.now()
        try:
            prepared = self._prepare(work, routing_context.outside_transaction(self.db, now), now)
        except Exception:
            prepared = None  # tried again in the transaction, which answers the error
        return _Pending(work, loop, loop.create_future(), prepared)

    def _prepare(self, work: Submission, context: Context, now: datetime) -> PreparedSubmission:
        state = self._integrations.get(work.integration_id)
        return pipeline.prepare(work, state, context, now, self._form)

    def _analyze(self) -> None:
        """Autovacuum re-reads statistics after a minute at the soonest; a
        fresh installation flooded with alerts would meanwhile be planned as
        if its tables were empty (every open alert of an integration read to
        find a few by key). Doubling points keep this to a few dozen runs."""
        try:
            with self.db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    # Only the columns the writer's lookups filter on: the JSON
                    # columns made a full ANALYZE cost a quarter of the server.
                    "ANALYZE alerts (integration_id, dedup_key, is_open, group_id),"
                    " alert_groups (service_id, group_key, is_open)"
                )
        except Exception as exc:  # statistics are an optimisation, never a failure
            log.warning("could not analyze the alert tables: %s", exc)


class ThreadCommitter(GroupCommitter):
    """One writer thread: a transaction per submission that finds it idle,
    joined by whatever has queued by the time it holds the alerts' lock."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock)
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def submit(self, work: Submission) -> Outcome:
        pending = self._arrived(work, asyncio.get_running_loop())
        self._ensure_started()
        self._queue.put(pending)
        return await pending.future

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
        self._held.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            rest = _Rest(self._queue, MAX_BATCH_ALERTS - first.size())
            self._commit([first], more=rest.take)
            if rest.stopping:
                return


class _Rest:
    """What queued behind a batch's first submission, taken once its
    transaction holds the alerts' lock, so that what arrived while another
    process held it comes along. Taken before the lock, a batch held about
    half of a process's requests in flight, the other half waiting for the
    next transaction: with two processes, single events went from about
    2,000 to 3,000 requests/s."""

    def __init__(self, waiting: queue.SimpleQueue[_Pending | None], room: int) -> None:
        self.waiting = waiting
        self.room = room  # in alerts
        self.stopping = False

    def take(self) -> list[_Pending]:
        taken: list[_Pending] = []
        while self.room > 0:
            try:
                pending = self.waiting.get_nowait()
            except queue.Empty:
                break
            if pending is None:
                self.stopping = True
                break
            taken.append(pending)
            self.room -= pending.size()
        return taken


@dataclass
class _LoopQueue:
    """One event loop's submissions not yet written."""

    pending: list[_Pending] = field(default_factory=list)
    waiting: bool = False  # for the write lock, in a helper thread


class LoopCommitter(GroupCommitter):
    """Each event loop writes its own submissions, in a callback of its own.

    The first submission after a write schedules the next write for once the
    loop has handled what else is ready (other requests' bodies, mostly): by
    then those have queued too, and one transaction takes them all. When
    another writer holds the lock, the loop goes on and a helper thread waits
    for the lock and hands it over; the write runs when it arrives, with
    everything that queued meanwhile.
    """

    def __init__(self, db: Database, clock: Clock, writers: WriterQueue) -> None:
        super().__init__(db, clock)
        self._writers = writers
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, work: Submission) -> Outcome:
        loop = asyncio.get_running_loop()
        waiting = self._queues.get(loop)
        if waiting is None:
            waiting = self._queues[loop] = _LoopQueue()
        pending = self._arrived(work, loop)
        if not waiting.pending and not waiting.waiting:
            loop.call_soon(self._write_soon, loop, waiting)
        waiting.pending.append(pending)
        return await pending.future

    def stop(self, timeout: float = 30) -> None:
        """Write what a loop that stopped left behind (its requests have
        nobody to answer, but were read in full)."""
        for waiting in list(self._queues.values()):
            if waiting.pending and not waiting.waiting:
                self._write(waiting, writer_lock_taken=False)
        self._held.close()

    def _write_soon(self, loop: asyncio.AbstractEventLoop, waiting: _LoopQueue) -> None:
        if waiting.waiting or not waiting.pending:
            return
        if self._writers.try_acquire():
            self._write(waiting, writer_lock_taken=True)
            self._again(loop, waiting)
            return
        try:
            handed = loop.run_in_executor(None, self._wait_for_lock, loop)
        except RuntimeError:  # the loop is shutting its executor down: wait here
            self._write(waiting, writer_lock_taken=False)
            self._again(loop, waiting)
            return
        waiting.waiting = True
        handed.add_done_callback(lambda done: self._lock_arrived(loop, waiting, done))

    def _wait_for_lock(self, loop: asyncio.AbstractEventLoop) -> bool:
        """In a helper thread: the lock, for a loop that is still there to use it."""
        taken = self._writers.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000)
        if taken and loop.is_closed():
            self._writers.release()
            return False
        return taken

    def _lock_arrived(
        self,
        loop: asyncio.AbstractEventLoop,
        waiting: _LoopQueue,
        handed: asyncio.Future[bool],
    ) -> None:
        waiting.waiting = False
        # False when the wait timed out: the transaction then queues again
        # itself and leaves the rest to SQLite's busy handler.
        taken = not handed.cancelled() and handed.exception() is None and handed.result()
        if not waiting.pending:
            if taken:
                self._writers.release()
            return
        self._write(waiting, writer_lock_taken=bool(taken))
        self._again(loop, waiting)

    def _again(self, loop: asyncio.AbstractEventLoop, waiting: _LoopQueue) -> None:
        if waiting.pending:  # more than one batch's worth had queued
            loop.call_soon(self._write_soon, loop, waiting)

    def _write(self, waiting: _LoopQueue, *, writer_lock_taken: bool) -> None:
        pending = waiting.pending
        size, count = 0, 0
        while count < len(pending) and size < MAX_LOOP_BATCH_ALERTS:
            size += pending[count].size()
            count += 1
        batch, waiting.pending = pending[:count], pending[count:]
        self._commit(batch, writer_lock_taken=writer_lock_taken)


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

    try:
        on_its_loop = asyncio.get_running_loop() is pending.loop
    except RuntimeError:
        on_its_loop = False
    if on_its_loop:
        settle()
        return
    # A closed loop means nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        pending.loop.call_soon_threadsafe(settle)
