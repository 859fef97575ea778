"""Everything fireline stores, as one versioned JSON-lines archive.

Line 1 is a header naming the format, its version, the schema revision and
the row count of every table; each further line is ``{"table", "row"}``.
Tables come in foreign-key order and rows in primary-key order, so an archive
imports front to back, and two exports of the same data are byte-identical
apart from ``exported_at``, whichever database they came from. Every table
in the models is included automatically, except the ephemeral ones in
:data:`SKIPPED`.

Values are encoded by their column's type, never guessed from the value, so
a JSON column holding something that looks like a timestamp stays a string.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import Column, Connection, Table, func, insert, select, text, types
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fireline.core.audit import VerifyResult, format_time, verify
from fireline.core.db import Database
from fireline.core.migrate import current_revision, head_revision
from fireline.models import Base

FORMAT = "fireline-archive"
VERSION = 1
# Sign-in sessions and failed-login counters are worthless on another server,
# and moving live sessions would move live credentials.
SKIPPED = frozenset({"web_sessions", "login_failures"})
# Rows a migration makes in every database (the status page's settings): the
# archive's rows take their place, so an upgraded database still counts as empty.
SEEDED = frozenset({"status_page_settings"})
BATCH = 1000


class ArchiveError(Exception):
    """The archive or the target database is not fit for the operation; nothing changed."""


def archived_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


# --- values ------------------------------------------------------------------


def _sorted_json(value: Any) -> Any:
    # jsonb hands keys back in its own order, SQLite in insertion order.
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(item) for item in value]
    return value


def encode_value(column: Column[Any], value: Any) -> Any:
    """A column value as JSON, losslessly."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, types.JSON):
        return _sorted_json(value)
    if isinstance(value, datetime):
        return format_time(value) if value.tzinfo else value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_value(column: Column[Any], value: Any) -> Any:
    """The inverse of :func:`encode_value`; raises ValueError naming what is wrong."""
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name} may not be null")
        return None
    kind = column.type
    if isinstance(kind, types.JSON):
        return value
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, types.Boolean):
        return _expect(column, value, bool)
    if isinstance(kind, types.Integer):
        if isinstance(value, bool):
            raise ValueError(f"{column.name} must be an integer")
        return _expect(column, value, int)
    if isinstance(kind, types.String):
        return _expect(column, value, str)
    if isinstance(kind, types.DateTime):
        parsed = datetime.fromisoformat(_expect(column, value, str))
        if kind.timezone and parsed.tzinfo is None:
            raise ValueError(f"{column.name} must carry a time zone")
        return parsed
    if isinstance(kind, types.Date):
        return date.fromisoformat(_expect(column, value, str))
    if isinstance(kind, types.LargeBinary):
        try:
            return base64.b64decode(_expect(column, value, str), validate=True)
        except binascii.Error:
            raise ValueError(f"{column.name} is not valid base64") from None
    if isinstance(kind, types.Numeric | types.Float):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{column.name} must be a number")
        try:
            return Decimal(value) if kind.asdecimal else float(value)
        except InvalidOperation:
            raise ValueError(f"{column.name} must be a number") from None
    return value


def _expect(column: Column[Any], value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{column.name} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def decode_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the database takes it; every column must be present, no others."""
    names = [column.name for column in table.columns]
    unknown = sorted(set(row) - set(names))
    missing = [name for name in names if name not in row]
    if unknown or missing:
        problems = [f"unknown column {', '.join(unknown)}"] if unknown else []
        problems += [f"missing column {', '.join(missing)}"] if missing else []
        raise ValueError("; ".join(problems))
    return {column.name: decode_value(column, row[column.name]) for column in table.columns}


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def check_header(header: dict[str, Any], revision: str | None) -> dict[str, int]:
    """The row counts the header promises, once it is known to be one this fireline reads."""
    if header.get("format") != FORMAT:
        raise ArchiveError("line 1: this is not a fireline archive")
    if header.get("version") != VERSION:
        raise ArchiveError(
            f"line 1: archive format version {header.get('version')!r}; "
            f"this fireline reads version {VERSION}"
        )
    if header.get("schema_revision") != revision:
        raise ArchiveError(
            f"line 1: the archive has schema revision {header.get('schema_revision')!r} but this "
            f"fireline's is {revision!r}; import it with the fireline version that wrote it, "
            "then upgrade"
        )
    tables = header.get("tables")
    expected = {t.name for t in archived_tables()}
    if (
        not isinstance(tables, dict)
        or set(tables) != expected
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in tables.values())
    ):
        raise ArchiveError(
            f"line 1: the header must count the rows of {', '.join(sorted(expected))}"
        )
    return tables


# --- export ------------------------------------------------------------------


def export(db: Database, out: IO[str], *, now: datetime) -> dict[str, int]:
    """Write the archive to ``out`` table by table, never holding a table in memory."""
    revision = head_revision()
    found = current_revision(db.engine)
    if found != revision:
        raise ArchiveError(
            f"the database is at schema revision {found!r}, this fireline's is {revision!r}: "
            "run `fireline db upgrade` first"
        )
    tables = archived_tables()
    with db.engine.connect() as connection:
        _read_one_snapshot(connection)
        counts = {
            t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in tables
        }
        header = {
            "format": FORMAT,
            "version": VERSION,
            "schema_revision": revision,
            "exported_at": format_time(now),
            "tables": counts,
        }
        out.write(_dumps(header) + "\n")
        for table in tables:
            query = select(table).order_by(*table.primary_key.columns)
            for row in connection.execution_options(yield_per=BATCH).execute(query):
                values = row._mapping
                encoded = {c.name: encode_value(c, values[c.name]) for c in table.columns}
                out.write(_dumps({"table": table.name, "row": encoded}) + "\n")
    return counts


def _read_one_snapshot(connection: Connection) -> None:
    # The counts in the header must match the rows that follow even while a
    # server keeps writing. PostgreSQL gives one snapshot without blocking
    # writers; SQLite's transactions always take the write lock (see db.py),
    # so there writers simply wait for the export to finish.
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


# --- import ------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    counts: dict[str, int]
    chain: VerifyResult


def _objects(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ArchiveError(f"line {number}: expected a JSON object")
        yield number, data


def import_archive(db: Database, source: IO[str]) -> Imported:
    """Load an archive into an empty database at this fireline's schema, all or nothing.

    The audit chain is verified before committing and reported, not enforced:
    a faithful copy of a damaged chain is still the best evidence there is."""
    revision = head_revision()
    lines = _objects(source)
    try:
        _, header = next(lines)
    except StopIteration:
        raise ArchiveError("the archive is empty") from None
    expected = check_header(header, revision)
    found = current_revision(db.engine)
    if found != revision:
        raise ArchiveError(
            f"the database is at schema revision {found!r}, not {revision!r}: "
            "run `fireline db upgrade` first"
        )
    tables = {t.name: t for t in archived_tables()}
    with db.transaction() as session:
        _ensure_empty(session)
        for seeded in SEEDED:
            session.execute(tables[seeded].delete())
        loader = _Loader(session)
        for number, record in lines:
            name = record.get("table")
            table = tables.get(name) if isinstance(name, str) else None
            row = record.get("row")
            if table is None or not isinstance(row, dict) or len(record) != 2:
                raise ArchiveError(
                    f'line {number}: expected {{"table": <a table name>, "row": {{…}}}}'
                )
            try:
                loader.add(number, table, decode_row(table, row))
            except ValueError as exc:
                raise ArchiveError(f"line {number}: {table.name}: {exc}") from None
        loader.flush()
        for name, count in expected.items():
            if loader.counts.get(name, 0) != count:
                raise ArchiveError(
                    f"table {name}: the header promises {count} rows but the archive holds "
                    f"{loader.counts.get(name, 0)}; the file is truncated or was edited"
                )
        if session.get_bind().dialect.name == "postgresql":
            _reset_sequences(session)
        chain = verify(session)
    return Imported({name: loader.counts.get(name, 0) for name in tables}, chain)


def _ensure_empty(session: Session) -> None:
    for table in archived_tables():
        if table.name in SEEDED:
            continue
        if session.scalar(select(func.count()).select_from(table)):
            raise ArchiveError(
                f"the database already holds data (table {table.name}); "
                "import only into an empty database"
            )


class _Loader:
    """Inserts rows in batches, each in a savepoint so a refused row can be named."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counts: dict[str, int] = {}
        self.table: Table | None = None
        self.pending: list[tuple[int, dict[str, Any]]] = []

    def add(self, number: int, table: Table, row: dict[str, Any]) -> None:
        if table is not self.table or len(self.pending) >= BATCH:
            self.flush()
            self.table = table
        self.pending.append((number, row))
        self.counts[table.name] = self.counts.get(table.name, 0) + 1

    def flush(self) -> None:
        table, pending = self.table, self.pending
        if table is None or not pending:
            return
        self.pending = []
        try:
            with self.session.begin_nested():
                self.session.execute(insert(table), [row for _, row in pending])
            return
        except DBAPIError:
            pass  # find the row the database refused, below
        for number, row in pending:
            try:
                with self.session.begin_nested():
                    self.session.execute(insert(table), [row])
            except DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0]
                raise ArchiveError(
                    f"line {number}: the database refused this {table.name} row: {reason}"
                ) from None
        raise ArchiveError(f"the database refused a batch of {table.name} rows")


def _reset_sequences(session: Session) -> None:
    """Rows came with their ids; move each id sequence past them so new rows don't collide."""
    preparer = session.get_bind().dialect.identifier_preparer
    for table in archived_tables():
        for column in table.primary_key.columns:
            sequence = session.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": preparer.format_table(table), "column": column.name},
            )
            if sequence:
                largest = session.scalar(select(func.max(column)))
                session.execute(
                    text("SELECT setval(:sequence, :next, false)"),
                    {"sequence": sequence, "next": (largest or 0) + 1},
                )
