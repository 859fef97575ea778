"""A database connection one busy writer keeps for itself.

A transaction through the pool and an ORM session cost about 60 µs of
Python before its first statement and after its last (check-out, session
state, events); on a connection held open and driven through the DB-API it
costs about 15. The alert ingest writer commits hundreds of small
transactions a second, each holding a lock every server process waits for
(fireline.alerts.committer), so it keeps one. On SQLite, holding it also
keeps its page cache, which SQLite drops whenever another connection writes.
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
    """A connection of ``engine``'s pool, checked out once and kept. On
    SQLite (``writers`` given) its transactions queue for the writers' lock
    as every other writer's do, and begin with ``BEGIN IMMEDIATE``."""

    def __init__(self, engine: Engine, writers: WriterQueue | None = None) -> None:
        self.engine = engine
        self.writers = writers
        self._proxy: PoolProxiedConnection | None = None
        # The writers' lock (SQLite) or the writer thread (PostgreSQL) already
        # admits one transaction at a time; this keeps it so when the
        # writers' lock was not had in time, too.
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(
        self, *, writer_lock_taken: bool = False, first: str | None = None
    ) -> Iterator[Any]:
        """A cursor in a write transaction, committed when the block ends
        and rolled back if it raises. ``writer_lock_taken``: the caller holds
        the SQLite writers' lock, which the transaction releases when it ends.
        ``first``: a statement without parameters that the transaction runs
        first; PostgreSQL gets it with its BEGIN, in one round trip."""
        with self._lock:
            try:
                connection = self._connection()
            except BaseException:
                if writer_lock_taken and self.writers is not None:
                    self.writers.release()
                raise
            sqlite = self.writers is not None
            # After the busy timeout, go on without it: SQLite's own wait decides.
            if self.writers is not None and (
                writer_lock_taken or self.writers.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000)
            ):
                connection.hold(self.writers)
            try:
                cursor = connection.cursor()
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                    if first:
                        cursor.execute(first)
                else:  # the connection is in autocommit mode: it begins here
                    cursor.execute(f"BEGIN; {first}" if first else "BEGIN")
                yield cursor
                cursor.close()
                # A COMMIT whatever the connection's mode (psycopg asks the
                # server whether a transaction is open); an SQLite connection
                # lets the writers' lock go.
                connection.commit()
            except BaseException:
                # Roll back before closing: an SQLite connection closed while a
                # failed statement is still prepared stays open until that
                # statement is freed, holding the write lock.
                with contextlib.suppress(Exception):
                    connection.rollback()
                if sqlite:
                    connection.let_go()
                self._discard()  # the next transaction starts on a fresh connection
                raise

    def _connection(self) -> Any:
        if self._proxy is None:
            self._proxy = self.engine.raw_connection()
            if self.writers is None:
                # psycopg would send its own BEGIN, a round trip of its own.
                self._proxy.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        connection = self._proxy.dbapi_connection
        assert self.writers is None or isinstance(connection, WriterConnection)
        return connection

    def _discard(self) -> None:
        proxy, self._proxy = self._proxy, None
        if proxy is not None:
            with contextlib.suppress(Exception):
                proxy.invalidate()  # closes it

    def close(self) -> None:
        with self._lock:
            proxy, self._proxy = self._proxy, None
            if proxy is None:
                return
            if self.writers is None:
                proxy.invalidate()  # in autocommit mode: never back to the pool
            else:
                proxy.close()  # back to the pool
