"""On PostgreSQL the ingest writer's transaction waits for the alerts' lock
first and only then takes what has queued: the requests that arrive while
another process holds the lock share the next transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, text

from fireline.alerts.committer import ThreadCommitter
from fireline.alerts.models import Alert
from fireline.alerts.pipeline import ALERTS_LOCK, Submission
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.alerts.conftest import database_with_pagerduty, numbered_alert

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# The alerts' lock as fireline.core.pglocks names it, held across transactions.
SESSION_LOCK = "SELECT pg_advisory_lock(:key, hashtext(current_schema()))"
SESSION_UNLOCK = "SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"


def waiting_for_the_lock(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND NOT granted AND classid = :key"
                ),
                {"key": ALERTS_LOCK},
            ).scalar_one()
        )


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_requests_that_queue_while_another_process_holds_the_lock_join_the_transaction(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, ident, key_hash = database_with_pagerduty(postgres_url)
    committer = ThreadCommitter(db, FixedClock(NOW))
    locks_taken: list[str] = []
    execute = psycopg.Cursor.execute

    def count_locks(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        if "pg_advisory_xact_lock" in str(query):
            locks_taken.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", count_locks)

    def send(n: int) -> asyncio.Future[Any]:
        return asyncio.ensure_future(
            committer.submit(Submission(ident, key_hash, [numbered_alert(n)]))
        )

    async def scenario() -> list[int]:
        with db.engine.connect() as other_process:
            other_process.execute(text(SESSION_LOCK), {"key": ALERTS_LOCK})
            first = send(0)
            await until(lambda: waiting_for_the_lock(db) >= 1)
            rest = [send(n) for n in range(1, 10)]
            await asyncio.sleep(0.1)  # all nine queued behind the waiting transaction
            other_process.execute(text(SESSION_UNLOCK), {"key": ALERTS_LOCK})
            outcomes = await asyncio.gather(first, *rest)
        return [outcome.accepted for outcome in outcomes]

    try:
        assert asyncio.run(scenario()) == [1] * 10
        assert (committer.batches, committer.submissions) == (1, 10)
        assert len(locks_taken) == 1  # once, for the one transaction
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Alert)) == 10
    finally:
        committer.stop()
        db.dispose()
