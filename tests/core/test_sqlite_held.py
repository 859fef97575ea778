"""The connection a busy SQLite writer keeps: one connection across its
transactions, the writers' lock released whatever happens, and a failed
transaction leaving nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.core.db import Database
from fireline.core.sqlite_held import HeldConnection


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'fireline.db'}")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER UNIQUE)")
    yield database
    database.dispose()


def rows(db: Database) -> list[int]:
    with db.engine.connect() as connection:
        return [n for (n,) in connection.exec_driver_sql("SELECT n FROM t ORDER BY n")]


def lock_is_free(db: Database) -> bool:
    assert db.writers is not None
    if not db.writers.try_acquire():
        return False
    db.writers.release()
    return True


def test_transactions_share_one_connection_and_commit(db: Database) -> None:
    assert db.writers is not None
    held = HeldConnection(db.engine, db.writers)
    connections = []
    for n in range(3):
        with held.transaction() as cursor:
            cursor.execute("INSERT INTO t VALUES (?)", (n,))
            connections.append(cursor.connection)
        assert lock_is_free(db)
    held.close()
    assert rows(db) == [0, 1, 2]
    assert connections[0] is connections[1] is connections[2]


def test_a_lock_taken_by_the_caller_is_released_by_the_transaction(db: Database) -> None:
    assert db.writers is not None
    held = HeldConnection(db.engine, db.writers)
    assert db.writers.try_acquire()
    with held.transaction(writer_lock_taken=True) as cursor:
        assert not lock_is_free(db)
        cursor.execute("INSERT INTO t VALUES (1)")
    assert lock_is_free(db)
    held.close()
    assert rows(db) == [1]


def test_a_failed_transaction_writes_nothing_and_the_next_starts_afresh(db: Database) -> None:
    assert db.writers is not None
    held = HeldConnection(db.engine, db.writers)
    with held.transaction() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
        first = cursor.connection
    with pytest.raises(Exception, match="UNIQUE"), held.transaction() as cursor:
        cursor.execute("INSERT INTO t VALUES (2)")
        cursor.execute("INSERT INTO t VALUES (1)")
    assert lock_is_free(db)
    with held.transaction() as cursor:
        cursor.execute("INSERT INTO t VALUES (3)")
        assert cursor.connection is not first
    held.close()
    assert rows(db) == [1, 3]
