"""The ingest path's lookups use the open-only partial indexes on SQLite.

SQLite takes a partial index only when the query states the index's condition
word for word; "is_open = 1" scans every open alert instead (one full scan per
batch, which once cost two thirds of the ingest writer's time). These tests
ask SQLite for the plans of the very statements the ingest writer runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fireline.alerts.storage import Statements, stored_form
from fireline.core.db import Database
from fireline.core.migrate import upgrade


class PlanningCursor:
    """A cursor that asks for each statement's query plan instead of running it."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor
        self.plans: list[str] = []

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        rows = self.cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        self.plans.append(" / ".join(str(row[-1]) for row in rows))

    def fetchall(self) -> list[Any]:
        return []

    def fetchone(self) -> tuple[int]:
        return (0,)


def plans_of(tmp_path: Path, run: Any) -> list[str]:
    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(db.engine)
    db.dispose()
    connection = sqlite3.connect(tmp_path / "plans.db")
    try:
        cursor = PlanningCursor(connection.cursor())
        run(Statements(cursor, stored_form("sqlite")))
        return cursor.plans
    finally:
        connection.close()


def test_open_alert_lookup_uses_the_partial_dedup_index(tmp_path: Path) -> None:
    [plan] = plans_of(tmp_path, lambda sql: sql.open_alerts(1, ["a", "b", "c"]))
    assert "USING INDEX ux_alerts_open_dedup (integration_id=? AND dedup_key=?)" in plan, plan


def test_open_group_lookup_uses_the_partial_key_index(tmp_path: Path) -> None:
    [plan] = plans_of(tmp_path, lambda sql: sql.open_groups(1, ["alertname=Disk"]))
    assert "USING INDEX ux_alert_groups_open_key (service_id=? AND group_key=?)" in plan, plan


def test_groups_by_id_and_flap_count_use_indexes(tmp_path: Path) -> None:
    since = datetime(2026, 3, 2, tzinfo=UTC)
    plans = plans_of(
        tmp_path,
        lambda sql: (sql.groups([1, 2]), sql.groups_opened_since(1, "alertname=Disk", since)),
    )
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in plans[0], plans[0]
    assert "ix_alert_groups_service_key_created" in plans[1], plans[1]
