"""An SQLite connection one busy writer keeps for itself.

A transaction through the pool and an ORM session cost about 60 µs before
its first statement and after its last (check-out, session state, events);
on a connection held open and driven through the DB-API it costs about 15.
The alert ingest writer commits hundreds of small transactions a second,
each holding the write lock every server process waits for, so it keeps one
(fireline.alerts.committer). Holding it also keeps its page cache: SQLite
drops a connection's cache whenever another connection has written since.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from fireline.core.db import SQLITE_BUSY_TIMEOUT_MS
from fireline.core.sqlite_writers import WriterConnection, WriterQueue


class HeldConnection:
    """A connection of ``engine``'s pool, checked out once and kept, whose
    transactions queue for ``writers`` as every other writer's do."""

    def __init__(self, engine: Engine, writers: WriterQueue) -> None:
        self.engine = engine
        self.writers = writers
        self._proxy: PoolProxiedConnection | None = None
        # The writers' lock already admits one transaction at a time, except
        # when its wait timed out: this keeps the connection to one even then.
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self, *, writer_lock_taken: bool = False) -> Iterator[Any]:
        """A cursor in a write transaction, committed when the block ends
        and rolled back if it raises. ``writer_lock_taken``: the caller holds
        the writers' lock, which the transaction releases when it ends."""
        with self._lock:
            try:
                connection = self._connection()
            except BaseException:
                if writer_lock_taken:
                    self.writers.release()
                raise
            # After the busy timeout, go on without it: SQLite's own wait decides.
            if writer_lock_taken or self.writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
                connection.hold(self.writers)
            try:
                cursor = connection.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                cursor.close()
                connection.commit()  # the connection lets the writers' lock go
            except BaseException:
                # Roll back before closing: a connection closed while a failed
                # statement is still prepared stays open until that statement
                # is freed, holding SQLite's write lock.
                with contextlib.suppress(Exception):
                    connection.rollback()
                connection.let_go()
                self._discard()  # the next transaction starts on a fresh connection
                raise

    def _connection(self) -> WriterConnection:
        if self._proxy is None:
            self._proxy = self.engine.raw_connection()
        connection = self._proxy.dbapi_connection
        assert isinstance(connection, WriterConnection)
        return connection

    def _discard(self) -> None:
        proxy, self._proxy = self._proxy, None
        if proxy is not None:
            with contextlib.suppress(Exception):
                proxy.invalidate()  # closes it: a failed transaction ends with it

    def close(self) -> None:
        with self._lock:
            proxy, self._proxy = self._proxy, None
            if proxy is not None:
                proxy.close()  # back to the pool
