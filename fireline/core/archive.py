"""Everything fireline stores, as one versioned JSON-lines archive.

Line 1 is a header naming the format, its version, the schema revision and
the row count of every table; each further line is ``{"table", "row"}``.
Tables come in foreign-key order and rows in primary-key order, so an
archive imports front to back, and two exports of the same data are
byte-identical apart from ``exported_at``. Every table in the models is
included automatically, except the ephemeral ones in :data:`SKIPPED`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from fireline.core.audit import format_time
from fireline.core.db import Database, UTCDateTime
from fireline.core.migrate import head_revision
from fireline.models import Base

FORMAT = "fireline-archive"
VERSION = 1
# Sign-in sessions and failed-login counters are worthless on another server,
# and moving live sessions would move live credentials.
SKIPPED = frozenset({"web_sessions", "login_failures"})
BATCH = 1000


class ArchiveError(Exception):
    pass


def archived_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for name, value in row.items():
        if name not in table.columns:
            raise ArchiveError(f"table {table.name} has no column {name!r}")
        column_type = table.columns[name].type
        if value is not None and isinstance(column_type, UTCDateTime):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif isinstance(value, dict) and set(value) == {"$base64"}:
            value = base64.b64decode(value["$base64"])
        decoded[name] = value
    return decoded


def _dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def export(db: Database, out: IO[str], *, now: datetime) -> dict[str, int]:
    """Write the archive to ``out`` table by table, never holding a table in memory."""
    tables = archived_tables()
    with db.session() as session:
        counts = {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        header = {
            "format": FORMAT,
            "version": VERSION,
            "schema_revision": head_revision(),
            "exported_at": format_time(now),
            "tables": counts,
        }
        out.write(_dumps(header) + "\n")
        for table in tables:
            order = list(table.primary_key.columns)
            result = session.execute(
                select(table).order_by(*order).execution_options(yield_per=BATCH)
            )
            for row in result.mappings():
                encoded = {key: _encode(value) for key, value in row.items()}
                out.write(_dumps({"table": table.name, "row": encoded}) + "\n")
    return counts


def _lines(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
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


def _check_header(header: dict[str, Any]) -> dict[str, int]:
    if header.get("format") != FORMAT:
        raise ArchiveError("line 1: this is not a fireline archive")
    if header.get("version") != VERSION:
        raise ArchiveError(
            f"line 1: archive version {header.get('version')!r}; this fireline reads version {VERSION}"
        )
    if header.get("schema_revision") != head_revision():
        raise ArchiveError(
            f"line 1: archive schema {header.get('schema_revision')!r} differs from this fireline's "
            f"{head_revision()!r}; import it with the fireline version that wrote it, then upgrade"
        )
    tables = header.get("tables")
    if not isinstance(tables, dict):
        raise ArchiveError("line 1: the header has no table counts")
    return {str(k): int(v) for k, v in tables.items()}


def _ensure_empty(session: Session) -> None:
    for table in archived_tables():
        if session.scalar(select(func.count()).select_from(table)):
            raise ArchiveError(
                f"the database already holds data (table {table.name}); import into an empty one"
            )


def import_archive(db: Database, source: IO[str]) -> dict[str, int]:
    """Load an archive into an empty, migrated database, all or nothing."""
    lines = _lines(source)
    try:
        _, header = next(lines)
    except StopIteration:
        raise ArchiveError("the archive is empty") from None
    expected = _check_header(header)
    tables = {t.name: t for t in archived_tables()}
    loaded = dict.fromkeys(tables, 0)
    with db.transaction() as session:
        _ensure_empty(session)
        pending: list[dict[str, Any]] = []
        current: Table | None = None
        for number, record in lines:
            table = tables.get(str(record.get("table")))
            if table is None or not isinstance(record.get("row"), dict):
                raise ArchiveError(
                    f'line {number}: expected {{"table": <known table>, "row": {{…}}}}'
                )
            if table is not current:
                _flush(session, current, pending)
                current = table
            try:
                pending.append(_decode(table, record["row"]))
            except (ArchiveError, ValueError) as exc:
                raise ArchiveError(f"line {number}: {exc}") from None
            loaded[table.name] += 1
            if len(pending) >= BATCH:
                _flush(session, current, pending)
        _flush(session, current, pending)
        for name, count in expected.items():
            if loaded.get(name, 0) != count:
                raise ArchiveError(
                    f"table {name}: the header promises {count} rows but the archive holds "
                    f"{loaded.get(name, 0)}; the file is truncated or edited"
                )
        if session.get_bind().dialect.name == "postgresql":
            _reset_sequences(session)
    return loaded


def _flush(session: Session, table: Table | None, rows: list[dict[str, Any]]) -> None:
    if table is not None and rows:
        session.execute(insert(table), rows)
        rows.clear()


def _reset_sequences(session: Session) -> None:
    """Rows came with their ids; move each id sequence past them."""
    for table in archived_tables():
        for column in table.primary_key.columns:
            sequence = session.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence:
                session.execute(
                    text(
                        f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"sequence": sequence},
                )
