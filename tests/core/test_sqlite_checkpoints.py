"""The server copies SQLite's write-ahead log into the database file from a
thread of its own, so that no commit has to."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from fireline.core.sqlite_checkpoints import Checkpointer


def written_with_no_checkpoint(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")  # leave it all in the log
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    return connection


def rows_in_the_database_file_alone(path: Path, tmp_path: Path) -> int:
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)  # without its -wal file
    with sqlite3.connect(alone) as connection:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'")
        if tables.fetchone()[0] == 0:
            return 0
        return int(connection.execute("SELECT count(*) FROM t").fetchone()[0])


def test_the_log_reaches_the_database_file_without_a_commit(tmp_path: Path) -> None:
    path = tmp_path / "fireline.db"
    writer = written_with_no_checkpoint(path)
    try:
        assert rows_in_the_database_file_alone(path, tmp_path) == 0
        checkpointer = Checkpointer(str(path), interval=0.05)
        checkpointer.start()
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        checkpointer.stop()
        assert checkpointer.checkpoints >= 1
        assert rows_in_the_database_file_alone(path, tmp_path) == 1000
    finally:
        writer.close()


def test_a_checkpoint_waits_for_no_writer(tmp_path: Path) -> None:
    path = tmp_path / "fireline.db"
    writer = written_with_no_checkpoint(path)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a writer in the middle of a transaction
        writer.execute("INSERT INTO t VALUES (-1)")
        checkpointer = Checkpointer(str(path))
        connection = sqlite3.connect(path, isolation_level=None)
        started = time.monotonic()
        checkpointer.checkpoint(connection)
        assert time.monotonic() - started < 1
        assert checkpointer.checkpoints == 1
        connection.close()
        writer.execute("COMMIT")
        assert rows_in_the_database_file_alone(path, tmp_path) == 1000  # the committed ones
    finally:
        writer.close()


def test_the_server_runs_checkpoints_while_it_serves(tmp_path: Path) -> None:
    import threading

    from fastapi.testclient import TestClient

    from fireline.core.config import Settings
    from fireline.web.app import create_app

    def running() -> bool:
        return any(t.name == "fireline-sqlite-checkpoints" for t in threading.enumerate())

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'fireline.db'}"))
    assert not running()
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert running()
    assert not running()
    app.state.db.dispose()
