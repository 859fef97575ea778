"""Database.reading: reads that do not wait for the writer."""

from __future__ import annotations

import threading

from sqlalchemy import text

from fireline.core.db import Database
from fireline.core.migrate import upgrade


def test_a_read_completes_while_a_write_transaction_is_open(db: Database) -> None:
    upgrade(db.engine)
    holding, read_done, release = threading.Event(), threading.Event(), threading.Event()
    counted: list[int] = []

    def writer() -> None:
        with db.transaction() as session:
            session.execute(text("UPDATE users SET name = name"))  # takes the write lock
            holding.set()
            release.wait(30)

    def reader() -> None:
        with db.reading() as session:
            counted.append(session.execute(text("SELECT count(*) FROM users")).scalar() or 0)
        read_done.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    threads[0].start()
    try:
        assert holding.wait(10)
        threads[1].start()
        # The writer is still open: a read that needed its lock could not finish.
        finished_first = read_done.wait(10)
    finally:
        release.set()
        for thread in threads:
            thread.join(40)
    assert finished_first and counted == [0]
