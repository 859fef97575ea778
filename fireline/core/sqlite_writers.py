"""One SQLite writer at a time, handed over without SQLite's busy polling.

SQLite admits one writer; a transaction that finds the database locked waits
in SQLite's busy handler, which sleeps and retries with pauses of up to
100 ms. A writer that commits and begins again (a busy jobs worker, another
server process's ingest writer) nearly always beats one that waits, and the
waiter's latency is the sum of its sleeps: with two server processes
ingesting alerts, a request waited hundreds of milliseconds for a write lock
that had been free for most of that time.

So writers queue before ``BEGIN IMMEDIATE``: the threads of a process on a
lock, and the processes on an ``flock`` of a file beside the database, which
the kernel hands to the next waiter the moment it is released (and releases
when a process dies). SQLite's own lock still guards the data; this only
orders who asks for it. The ingest writer, which runs on the event loop, only
ever takes the lock when it is free (:meth:`WriterQueue.try_acquire`) and
otherwise has a helper thread wait for it (fireline.alerts.committer).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path


class WriterQueue:
    """The writers of one database file in this process."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._fd_pid = 0  # a forked child must not share its parent's lock

    def acquire(self, timeout: float) -> bool:
        """Queue for the write lock; False when the threads' queue timed out
        (the caller then goes on and leaves the wait to SQLite)."""
        if not self._threads.acquire(timeout=timeout):
            return False
        self._take_file(fcntl.LOCK_EX)
        return True

    def try_acquire(self) -> bool:
        """Take the write lock if nobody holds it; never waits."""
        if not self._threads.acquire(blocking=False):
            return False
        if not self._take_file(fcntl.LOCK_EX | fcntl.LOCK_NB):
            self._threads.release()
            return False
        return True

    def _take_file(self, operation: int) -> bool:
        """False only when a non-blocking ``operation`` finds the file taken."""
        if self.path is None:
            return True
        try:
            if self._fd is None or self._fd_pid != os.getpid():
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._fd_pid = os.getpid()
            fcntl.flock(self._fd, operation)
        except BlockingIOError:
            return False
        except OSError:
            pass  # a directory we cannot write: SQLite's busy handler decides alone
        except BaseException:
            self._threads.release()
            raise
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


class WriterConnection(sqlite3.Connection):
    """An SQLite connection that gives the writers' lock back once its
    transaction has ended, not before. SQLAlchemy announces a commit (its
    ``commit`` event) before it makes it: a writer let in at that moment met
    the commit still in progress and slept in SQLite's busy handler."""

    holding: WriterQueue | None = None

    def hold(self, writers: WriterQueue) -> None:
        """This connection's transaction holds ``writers`` until it ends."""
        self.holding = writers

    def let_go(self) -> None:
        writers, self.holding = self.holding, None
        if writers is not None:
            writers.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()


_queues: dict[tuple[int, str], WriterQueue] = {}
_queues_lock = threading.Lock()


def database_file(database: str | None) -> Path | None:
    """The file of an SQLite URL's database part; None in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def writer_queue(database: str | None) -> WriterQueue:
    """The queue for a database file, shared by every engine of this process
    (each engine queuing apart would let two of them block each other)."""
    file = database_file(database)
    key = (os.getpid(), str(file))
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            lock_file = None if file is None else file.with_name(file.name + "-writers")
            queue = _queues[key] = WriterQueue(lock_file)
        return queue
