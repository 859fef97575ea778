"""SQLite writers of different processes queue on one file lock, handed over
by the kernel, before they ask SQLite for its write lock."""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
from sqlalchemy import event

from fireline.core.db import Database
from fireline.core.sqlite_writers import writer_queue


def hold_the_queue(database: str, holding: Event, release: Event) -> None:
    queue = writer_queue(database)
    assert queue.acquire(timeout=5)
    holding.set()
    release.wait(30)
    queue.release()


@contextlib.contextmanager
def another_process_holds(database: str) -> Iterator[Callable[[], None]]:
    """Another process holds the database's writers' lock until the function
    this yields is called (or the block ends)."""
    spawn = multiprocessing.get_context("spawn")
    holding, release = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=hold_the_queue, args=(database, holding, release))
    holder.start()

    def let_go() -> None:
        release.set()
        holder.join(30)

    try:
        assert holding.wait(30)
        yield let_go
    finally:
        let_go()
    assert holder.exitcode == 0


def test_a_writer_of_another_process_waits_for_the_holder(tmp_path: Path) -> None:
    with another_process_holds(str(tmp_path / "fireline.db")) as let_go:
        fd = os.open(tmp_path / "fireline.db-writers", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            let_go()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the holder let go
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def test_engines_of_one_process_share_a_queue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fireline.db'}"
    first, second = Database(url), Database(url)
    try:
        with first.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        assert writer_queue(str(tmp_path / "fireline.db")) is writer_queue(
            str(tmp_path / "." / "fireline.db")
        )
        with first.transaction() as session:
            session.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
        with second.transaction() as session:
            session.connection().exec_driver_sql("INSERT INTO t VALUES (2)")
        with second.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
    finally:
        first.dispose()
        second.dispose()


def test_an_in_memory_database_needs_no_lock_file(tmp_path: Path) -> None:
    queue = writer_queue(":memory:")
    assert queue.path is None
    assert queue.acquire(timeout=1)
    queue.release()


def test_try_acquire_never_waits(tmp_path: Path) -> None:
    database = str(tmp_path / "fireline.db")
    queue = writer_queue(database)
    with another_process_holds(database) as let_go:
        assert not queue.try_acquire()  # another process holds the file
        let_go()
        assert queue.try_acquire()
        try:
            # ... and now a thread of this process would have to wait for us.
            outcome: list[bool] = []
            other = threading.Thread(target=lambda: outcome.append(queue.try_acquire()))
            other.start()
            other.join()
            assert outcome == [False]
        finally:
            queue.release()


def test_the_lock_is_held_until_the_commit_is_made(tmp_path: Path) -> None:
    """SQLAlchemy's commit event comes before the COMMIT: a writer let in
    there would find SQLite's lock still taken."""
    db = Database(f"sqlite:///{tmp_path / 'fireline.db'}")
    seen_at_commit_event: list[bool] = []

    def another_thread_could_write() -> bool:
        outcome: list[bool] = []

        def attempt() -> None:
            assert db.writers is not None
            taken = db.writers.try_acquire()
            if taken:
                db.writers.release()
            outcome.append(taken)

        thread = threading.Thread(target=attempt)
        thread.start()
        thread.join()
        return outcome[0]

    event.listen(
        db.engine, "commit", lambda _c: seen_at_commit_event.append(another_thread_could_write())
    )
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        with db.transaction() as session:
            session.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
        assert seen_at_commit_event == [False, False]
        assert another_thread_could_write()  # and free once committed
    finally:
        db.dispose()
