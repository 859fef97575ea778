"""The connection a busy writer keeps: one connection across its
transactions, the SQLite writers' lock released whatever happens, and a
failed transaction leaving nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fireline.core.db import Database
from fireline.core.held import HeldConnection


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER UNIQUE)")
    yield database
    database.dispose()


def held(db: Database) -> HeldConnection:
    return HeldConnection(db.engine, db.writers)


def insert(cursor: object, n: int) -> None:
    mark = "?" if "sqlite" in type(cursor).__module__ else "%s"
    cursor.execute(f"INSERT INTO t VALUES ({mark})", (n,))  # type: ignore[attr-defined]


def rows(db: Database) -> list[int]:
    with db.engine.connect() as connection:
        return [n for (n,) in connection.exec_driver_sql("SELECT n FROM t ORDER BY n")]


def writers_free(db: Database) -> bool:
    """True on PostgreSQL, which has no writers' lock."""
    if db.writers is None:
        return True
    if not db.writers.try_acquire():
        return False
    db.writers.release()
    return True


def test_transactions_share_one_connection_and_commit(db: Database) -> None:
    writer = held(db)
    connections = []
    for n in range(3):
        with writer.transaction() as cursor:
            insert(cursor, n)
            connections.append(cursor.connection)
        assert writers_free(db)
    writer.close()
    assert rows(db) == [0, 1, 2]
    assert connections[0] is connections[1] is connections[2]


def test_a_writers_lock_taken_by_the_caller_is_released_by_the_transaction(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fireline.db'}")  # only SQLite has the lock
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER UNIQUE)")
        writer = held(db)
        assert db.writers is not None and db.writers.try_acquire()
        with writer.transaction(writer_lock_taken=True) as cursor:
            assert not writers_free(db)
            insert(cursor, 1)
        assert writers_free(db)
        writer.close()
        assert rows(db) == [1]
    finally:
        db.dispose()


def test_a_failed_transaction_writes_nothing_and_the_next_starts_afresh(db: Database) -> None:
    writer = held(db)
    with writer.transaction() as cursor:
        insert(cursor, 1)
        first = cursor.connection
    with pytest.raises(Exception, match=r"(?i)unique"), writer.transaction() as cursor:
        insert(cursor, 2)
        insert(cursor, 1)
    assert writers_free(db)
    with writer.transaction() as cursor:
        insert(cursor, 3)
        assert cursor.connection is not first
    writer.close()
    assert rows(db) == [1, 3]


def test_the_first_statement_is_part_of_the_transaction(db: Database) -> None:
    writer = held(db)
    with writer.transaction(first="INSERT INTO t VALUES (10)") as cursor:
        insert(cursor, 11)
    with (
        pytest.raises(Exception, match=r"(?i)unique"),
        writer.transaction(first="INSERT INTO t VALUES (20)") as cursor,
    ):
        insert(cursor, 10)
    writer.close()
    assert rows(db) == [10, 11]


def test_a_connection_the_server_dropped_is_replaced(postgres_url: str) -> None:
    """The pool pings a connection before it hands it out; a kept one is not
    handed out, so a transaction that finds it dropped (a server restart, an
    idle timeout) begins again on a new one instead of failing."""
    db = Database(postgres_url)
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER UNIQUE)")
        writer = held(db)
        with writer.transaction() as cursor:
            insert(cursor, 1)
            backend = cursor.connection.info.backend_pid
        with db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            deadline = time.monotonic() + 10
            while admin.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
            ).scalar_one():
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.05)
        with writer.transaction() as cursor:
            insert(cursor, 2)
            assert cursor.connection.info.backend_pid != backend
        with (
            pytest.raises(Exception, match="division by zero"),
            writer.transaction(first="SELECT 1 / 0"),
        ):
            pass  # an error that is not a dropped connection is not tried again
        writer.close()
        assert rows(db) == [1, 2]
    finally:
        db.dispose()
