"""The ingest writer's SQL, written for the driver.

Every batch of alerts runs the same handful of statements. Built and compiled
by SQLAlchemy they cost more than the database's own work (statement
construction, cache keys, result metadata), and on SQLite that cost was spent
holding the write lock that every ingest process waits for. Here they are
fixed SQL text run on the DB-API cursor, with values already in the form
each driver stores (see :class:`StoredForm`). Reading goes back through the
ORM everywhere else, so the forms must match what SQLAlchemy writes.

The lookups state the partial indexes' condition word for word (``is_open``):
SQLite uses a partial index only then (``tests/alerts/test_query_plans.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from fireline.core.db import json_text
from fireline.core.jobs.queue import new_job

CHUNK = 500
# SQLite binds at most 32,766 values in one statement: 18 columns x 1,024 rows.
ROWS_PER_INSERT = 1024

# A new alert's columns, in the order insert_alerts takes them.
ALERT_COLUMNS = (
    "group_id",
    "integration_id",
    "dedup_key",
    "status",
    "is_open",
    "severity",
    "summary",
    "source",
    "labels",
    "annotations",
    "links",
    "silenced_by",
    "count",
    "starts_at",
    "ends_at",
    "first_seen_at",
    "last_seen_at",
    "raw",
)
OPEN_ALERT_COLUMNS = ("id", "group_id", "integration_id", "dedup_key", "severity", "count")
# What a batch reads of a group, and (GROUP_CHANGES) what it may write back.
GROUP_CHANGES = (
    "status",
    "is_open",
    "severity",
    "silenced_by",
    "alert_count",
    "active_count",
    "event_count",
    "updated_at",
    "last_alert_at",
    "acknowledged_at",
    "resolved_at",
)
GROUP_COLUMNS = ("id", "service_id", "group_key", "flapping", *GROUP_CHANGES)
NEW_GROUP_COLUMNS = (
    "service_id",
    "integration_id",
    "group_key",
    "title",
    "status",
    "is_open",
    "urgency",
    "severity",
    "escalation_policy",
    "routing_rule_id",
    "silenced_by",
    "flapping",
    "alert_count",
    "active_count",
    "event_count",
    "created_at",
    "updated_at",
    "last_alert_at",
)
INTEGRATION_COLUMNS = (
    "id",
    "service_id",
    "key_hash",
    "revoked_at",
    "group_by",
    "flap_count",
    "flap_minutes",
)
JSON_COLUMNS = frozenset({"labels", "annotations", "links", "raw"})
COPY_ALERTS = f"COPY alerts ({', '.join(ALERT_COLUMNS)}) FROM STDIN"


class StoredForm:
    """Values as one driver stores them: SQLite keeps timestamps as the naive
    UTC text SQLAlchemy writes (microseconds always, so that they compare as
    text) and JSON as text; PostgreSQL takes aware timestamps and JSON text
    cast to jsonb."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self.json_mark = "?" if self.sqlite else "%s::jsonb"

    def json(self, value: Any) -> str:
        return json_text(value)

    def time(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if self.sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value.astimezone(UTC)

    def marks(self, columns: Iterable[str]) -> str:
        return ", ".join(self.json_mark if c in JSON_COLUMNS else self.mark for c in columns)


@functools.cache
def stored_form(dialect: str) -> StoredForm:
    return StoredForm("sqlite" if dialect == "sqlite" else "postgresql")


class Statements:
    """The ingest writer's statements on one DB-API cursor."""

    def __init__(self, cursor: Any, form: StoredForm) -> None:
        self.cursor = cursor
        self.form = form

    def _rows(
        self, sql: str, params: Sequence[Any], columns: Sequence[str]
    ) -> list[dict[str, Any]]:
        self.cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in self.cursor.fetchall()]

    def _in(self, count: int) -> str:
        return ", ".join([self.form.mark] * count)

    def integrations(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(sorted(ids)):
            sql = (
                f"SELECT {', '.join(INTEGRATION_COLUMNS)} FROM integrations "
                f"WHERE id IN ({self._in(len(chunk))})"
            )
            for row in self._rows(sql, chunk, INTEGRATION_COLUMNS):
                if isinstance(row["group_by"], str):  # SQLite's JSON text
                    row["group_by"] = orjson.loads(row["group_by"])
                found.append(row)
        return found

    def open_alerts(self, integration_id: int, keys: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(keys):
            sql = (
                f"SELECT {', '.join(OPEN_ALERT_COLUMNS)} FROM alerts WHERE is_open "
                f"AND integration_id = {self.form.mark} AND dedup_key IN ({self._in(len(chunk))})"
            )
            found += self._rows(sql, [integration_id, *chunk], OPEN_ALERT_COLUMNS)
        return found

    def open_groups(self, service_id: int, keys: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(keys):
            sql = (
                f"SELECT {', '.join(GROUP_COLUMNS)} FROM alert_groups WHERE is_open "
                f"AND service_id = {self.form.mark} AND group_key IN ({self._in(len(chunk))})"
            )
            found += self._rows(sql, [service_id, *chunk], GROUP_COLUMNS)
        return found

    def groups(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(ids):
            sql = (
                f"SELECT {', '.join(GROUP_COLUMNS)} FROM alert_groups "
                f"WHERE id IN ({self._in(len(chunk))})"
            )
            found += self._rows(sql, chunk, GROUP_COLUMNS)
        return found

    def groups_opened_since(self, service_id: int, key: str, since: datetime) -> int:
        mark = self.form.mark
        self.cursor.execute(
            f"SELECT count(*) FROM alert_groups WHERE service_id = {mark} "
            f"AND group_key = {mark} AND created_at >= {mark}",
            (service_id, key, self.form.time(since)),
        )
        return int(self.cursor.fetchone()[0])

    def insert_group(self, row: dict[str, Any]) -> int:
        self.cursor.execute(
            f"INSERT INTO alert_groups ({', '.join(NEW_GROUP_COLUMNS)}) "
            f"VALUES ({self.form.marks(NEW_GROUP_COLUMNS)}) RETURNING id",
            tuple(row[name] for name in NEW_GROUP_COLUMNS),
        )
        return int(self.cursor.fetchone()[0])

    def update_groups(self, rows: Sequence[dict[str, Any]]) -> None:
        mark = self.form.mark
        assignments = ", ".join(f"{name} = {mark}" for name in GROUP_CHANGES)
        self.cursor.executemany(
            f"UPDATE alert_groups SET {assignments} WHERE id = {mark}",
            [(*(row[name] for name in GROUP_CHANGES), row["id"]) for row in rows],
        )

    def insert_alerts(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not self.form.sqlite:
            # COPY: PostgreSQL parsed and planned each multi-row INSERT of
            # thousands of parameters anew, three times the cost of the rows.
            with self.cursor.copy(COPY_ALERTS) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Many rows per statement: the driver lets other threads run during
        # each statement, and taking the interpreter back after each row kept
        # the write lock held longer. Statements of 1,024, 512, ... rows, so
        # that a few texts are prepared once and reused.
        start = 0
        while start < len(rows):
            size = min(ROWS_PER_INSERT, 1 << ((len(rows) - start).bit_length() - 1))
            chunk = rows[start : start + size]
            self.cursor.execute(_insert_alerts_sql(size), [value for row in chunk for value in row])
            start += size

    def insert_events(self, rows: Sequence[tuple[int, datetime, str, str, Any]]) -> None:
        """Timeline entries: (group_id, at, kind, text, data)."""
        form = self.form
        self.cursor.executemany(
            "INSERT INTO alert_group_events (group_id, at, kind, text, data) "
            f"VALUES ({form.mark}, {form.mark}, {form.mark}, {form.mark}, {form.json_mark})",
            [
                (group, form.time(at), kind, text, form.json(data))
                for group, at, kind, text, data in rows
            ],
        )

    def enqueue_job(self, kind: str, payload: dict[str, Any], key: str, now: datetime) -> None:
        """A job due now, unless one with this idempotency key exists (what
        :func:`fireline.core.jobs.queue.enqueue` does, on the cursor)."""
        job = new_job(kind=kind, payload=payload, now=now, idempotency_key=key)
        form = self.form
        job["payload"] = form.json(payload)
        for name in ("due_at", "created_at", "updated_at"):
            job[name] = form.time(job[name])
        marks = ", ".join(form.json_mark if name == "payload" else form.mark for name in job)
        self.cursor.execute(
            f"INSERT INTO jobs ({', '.join(job)}) VALUES ({marks})"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            tuple(job.values()),
        )

    def update_alerts(self, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows are the values of ``columns`` followed by the alert's id."""
        mark, json_mark = self.form.mark, self.form.json_mark
        assignments = ", ".join(
            f"{name} = {json_mark if name in JSON_COLUMNS else mark}" for name in columns
        )
        self.cursor.executemany(f"UPDATE alerts SET {assignments} WHERE id = {mark}", rows)


@functools.cache
def _insert_alerts_sql(rows: int) -> str:
    values = ", ".join([f"({stored_form('sqlite').marks(ALERT_COLUMNS)})"] * rows)
    return f"INSERT INTO alerts ({', '.join(ALERT_COLUMNS)}) VALUES {values}"


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
