"""The ingest path's lookups use the open-only partial indexes on SQLite.

SQLite takes a partial index only when the query states the index's condition
word for word; "is_open = 1" scans every open alert instead (one full scan per
batch, which once cost two thirds of the ingest writer's time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from fireline.alerts.models import AlertGroup
from fireline.alerts.pipeline import open_alerts_query, open_groups_filter
from fireline.core.db import Database
from fireline.core.migrate import upgrade


def query_plan(db: Database, statement: Any) -> str:
    with db.engine.connect() as connection:
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
        ).all()
    return " / ".join(str(row[-1]) for row in rows)


def sqlite_database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(db.engine)
    return db


def test_open_alert_lookup_uses_the_partial_dedup_index(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    plan = query_plan(db, open_alerts_query(1, ["a", "b", "c"]))
    db.dispose()
    assert "USING INDEX ux_alerts_open_dedup (integration_id=? AND dedup_key=?)" in plan, plan


def test_open_group_lookup_uses_the_partial_key_index(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    statement = select(AlertGroup.id).where(*open_groups_filter(1, ["alertname=Disk"]))
    plan = query_plan(db, statement)
    db.dispose()
    assert "USING INDEX ux_alert_groups_open_key (service_id=? AND group_key=?)" in plan, plan
