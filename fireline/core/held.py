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
            if self.writers is None:
                connection, cursor = self._begin_postgresql(first)
            else:
                connection, cursor = self._begin_sqlite(self.writers, writer_lock_taken, first)
            try:
                yield cursor
                cursor.close()
                # A COMMIT whatever the connection's mode (psycopg asks the
                # server whether a transaction is open); an SQLite connection
                # lets the writers' lock go.
                connection.commit()
            except BaseException:
                self._abandon(connection)
                raise

    def _begin_sqlite(
        self, writers: WriterQueue, lock_taken: bool, first: str | None
    ) -> tuple[Any, Any]:
        try:
            connection = self._connection()
        except BaseException:
            if lock_taken:
                writers.release()
            raise
        # After the busy timeout, go on without it: SQLite's own wait decides.
        if lock_taken or writers.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000):
            connection.hold(writers)
        try:
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            if first:
                cursor.execute(first)
        except BaseException:
            self._abandon(connection)
            raise
        return connection, cursor

    def _begin_postgresql(self, first: str | None) -> tuple[Any, Any]:
        """Begun on the connection kept; one that the server dropped while it
        was kept (a restart, an idle timeout) is replaced once, as the pool's
        pre-ping would have replaced it."""
        statement = f"BEGIN; {first}" if first else "BEGIN"  # in autocommit mode
        for attempt in (1, 2):
            kept = self._proxy is not None
            connection = self._connection()
            try:
                cursor = connection.cursor()
                cursor.execute(statement)
                return connection, cursor
            except Exception as exc:
                dialect = self.engine.dialect
                dropped = dialect.is_disconnect(exc, connection, None)  # type: ignore[arg-type]
                self._abandon(connection)
                if attempt == 2 or not kept or not dropped:
                    raise
        raise AssertionError("unreachable")

    def _abandon(self, connection: Any) -> None:
        """A failed transaction's end: rolled back, the SQLite writers' lock
        released, and the connection dropped, so the next starts afresh."""
        # Roll back before closing: an SQLite connection closed while a failed
        # statement is still prepared stays open until that statement is
        # freed, holding the write lock.
        with contextlib.suppress(Exception):
            connection.rollback()
        if self.writers is not None:
            connection.let_go()
        self._discard()

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
