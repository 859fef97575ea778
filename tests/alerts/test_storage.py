"""The ingest writer's inserts: on SQLite every row once, in order, in
statements of a few fixed sizes (prepared once, within SQLite's limit on
bound values); on PostgreSQL through COPY. Reading the rows back through the
ORM on both is tests/alerts/test_prepare.py's."""

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


class RecordingCopy:
    def __init__(self, cursor: RecordingCursor, sql: str) -> None:
        self.cursor, self.sql = cursor, sql

    def __enter__(self) -> RecordingCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def write_row(self, row: Sequence[Any]) -> None:
        self.cursor.calls.append((self.sql, list(row)))


class CopyingCursor(RecordingCursor):
    def copy(self, sql: str) -> RecordingCopy:
        return RecordingCopy(self, sql)


def test_postgresql_copies_the_rows_in() -> None:
    width = len(ALERT_COLUMNS)
    rows = [tuple(f"{n}:{c}" for c in range(width)) for n in range(3)]
    cursor = CopyingCursor()

    Statements(cursor, stored_form("postgresql")).insert_alerts(rows)

    assert [params for _, params in cursor.calls] == [list(row) for row in rows]
    assert {sql for sql, _ in cursor.calls} == {
        f"COPY alerts ({', '.join(ALERT_COLUMNS)}) FROM STDIN"
    }
