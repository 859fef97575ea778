"""The ingest writer's multi-row inserts: every row once, in order, in
statements of a few fixed sizes (prepared once, within SQLite's limit on
bound values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fireline.alerts.storage import ALERT_COLUMNS, ROWS_PER_INSERT, Statements, stored_form


class RecordingCursor:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        self.calls.append((sql, list(params)))


def test_rows_go_in_order_in_statements_of_fixed_sizes() -> None:
    width = len(ALERT_COLUMNS)
    rows = [tuple(f"{n}:{c}" for c in range(width)) for n in range(1500)]
    cursor = RecordingCursor()

    Statements(cursor, stored_form("sqlite")).insert_alerts(rows)

    sizes = [len(params) // width for _, params in cursor.calls]
    assert sizes == [1024, 256, 128, 64, 16, 8, 4]
    assert all(size <= ROWS_PER_INSERT and size * width <= 32_766 for size in sizes)
    flat = [value for _, params in cursor.calls for value in params]
    assert flat == [value for row in rows for value in row]
    for sql, params in cursor.calls:
        assert sql.count("?") == len(params)


def test_postgresql_casts_json_columns() -> None:
    width = len(ALERT_COLUMNS)
    cursor = RecordingCursor()

    Statements(cursor, stored_form("postgresql")).insert_alerts([tuple(range(width))] * 3)

    assert [len(params) // width for _, params in cursor.calls] == [2, 1]
    for sql, params in cursor.calls:
        rows = len(params) // width
        assert "?" not in sql and sql.count("%s") == len(params)
        assert sql.count("%s::jsonb") == 4 * rows  # labels, annotations, links, raw
