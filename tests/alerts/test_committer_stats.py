"""On PostgreSQL the ingest writer refreshes the alert tables' statistics as
they grow, so that a freshly flooded installation keeps finding open alerts
through the unique index rather than reading them all."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from sqlalchemy import text

from fireline.alerts.committer import FIRST_ANALYZE_AFTER, ThreadCommitter
from fireline.alerts.pipeline import Submission
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.alerts.conftest import database_with_pagerduty, numbered_alert

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def last_analyzed(db: Database, wait: float = 0.0) -> datetime | None:
    """The table's last ANALYZE; statistics views may lag a moment behind."""
    deadline = time.monotonic() + wait
    while True:
        with db.engine.connect() as connection:
            value: datetime | None = connection.execute(
                text(
                    "SELECT last_analyze FROM pg_stat_user_tables"
                    " WHERE relname = 'alerts' AND schemaname = current_schema()"
                )
            ).scalar()
        if value is not None or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


def test_statistics_are_refreshed_when_the_writer_has_doubled_its_writes(
    postgres_url: str,
) -> None:
    db, ident, key_hash = database_with_pagerduty(postgres_url)
    committer = ThreadCommitter(db, FixedClock(NOW))

    async def send(first: int, count: int) -> None:
        batch = [numbered_alert(n) for n in range(first, first + count)]
        await committer.submit(Submission(ident, key_hash, batch))

    try:
        asyncio.run(send(0, FIRST_ANALYZE_AFTER - 1))
        assert last_analyzed(db) is None
        asyncio.run(send(FIRST_ANALYZE_AFTER, 2))
        assert last_analyzed(db, wait=5) is not None
        assert committer.written == FIRST_ANALYZE_AFTER + 1
    finally:
        committer.stop()
        db.dispose()
