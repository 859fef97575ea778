"""Checkpoints of SQLite's write-ahead log, in a thread of their own.

SQLite copies its log into the database (a checkpoint) in whichever
connection commits once the log has grown past ``wal_autocheckpoint`` pages.
That commit waits for the copying and its fsyncs with the writers' lock still
held, and on the ingest writer's event loop the whole process waits with it:
under a steady load of single PagerDuty events, that was the slowest
hundredth of requests (p99 47 ms against 4 ms with no checkpoints at all).

A server process runs them here instead, a few times a second, in PASSIVE
mode: such a checkpoint waits for no reader or writer and none waits for it.
It copies what it can; a log that it has copied entirely starts again from
its beginning at the next commit, so the commits' own checkpoints, still
there, seldom find anything to do.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("fireline.db")
INTERVAL_SECONDS = 0.25


class Checkpointer:
    """Checkpoints one database file every ``interval`` seconds until stopped."""

    def __init__(self, path: str, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="fireline-sqlite-checkpoints", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            log.warning("no background checkpoints for %s: %s", self.path, exc)
            return
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(connection)
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # the next one tries again
            log.warning("checkpoint of %s failed: %s", self.path, exc)
