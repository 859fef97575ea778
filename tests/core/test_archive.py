"""The archive: SQLite → PostgreSQL → SQLite with identical data and a chain that still verifies."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fireline.cli import main
from fireline.core import archive
from fireline.core.archive import ArchiveError, archived_tables, export, import_archive
from fireline.core.audit import Actor, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs import queue
from fireline.core.migrate import upgrade
from fireline.demo import seed
from fireline.models import Base
from fireline.people import service as people
from fireline.people.models import User


def fresh(url: str) -> Database:
    db = Database(url)
    upgrade(db.engine)
    return db


@pytest.fixture
def sqlite_source(tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    db = fresh(f"sqlite:///{tmp_path / 'source.db'}")
    with db.transaction() as session:
        seed(session, now=clock.now(), password="demo-password-1")
        queue.enqueue(
            session,
            kind="mail",
            payload={"to": ["ops@example.com"], "n": 1.5},
            now=clock.now(),
            idempotency_key="k1",
        )
    yield db
    db.dispose()


def dump(db: Database, clock: FixedClock) -> list[str]:
    buffer = io.StringIO()
    export(db, buffer, now=clock.now())
    lines = buffer.getvalue().splitlines()
    header = json.loads(lines[0])
    header.pop("exported_at")
    return [json.dumps(header, sort_keys=True), *lines[1:]]


def test_every_table_is_archived_or_deliberately_skipped() -> None:
    names = {t.name for t in archived_tables()} | archive.SKIPPED
    assert names == set(Base.metadata.tables)


def test_round_trip_sqlite_postgres_sqlite(
    sqlite_source: Database, postgres_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    first = dump(sqlite_source, clock)
    assert len(first) > 30
    postgres = fresh(postgres_url)
    import_archive(postgres, io.StringIO("\n".join(first)))
    second = dump(postgres, clock)
    back = fresh(f"sqlite:///{tmp_path / 'back.db'}")
    import_archive(back, io.StringIO("\n".join(second)))
    third = dump(back, clock)
    assert first == second == third
    for db in (postgres, back):
        with db.session() as session:
            assert verify(session).ok
    with postgres.transaction() as session:  # ids continue after the imported ones
        user = people.create_user(
            session, actor=Actor.system(), now=clock.now(), email="new@example.com", name="New"
        )
        assert user.id == 8
    postgres.dispose()
    back.dispose()


def test_import_refuses_a_database_with_data(sqlite_source: Database, clock: FixedClock) -> None:
    with pytest.raises(ArchiveError, match="already holds data"):
        import_archive(sqlite_source, io.StringIO("\n".join(dump(sqlite_source, clock))))


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda lines: ['{"format": "other"}', *lines[1:]], "not a fireline archive"),
        (
            lambda lines: [lines[0].replace('"version":1', '"version":9'), *lines[1:]],
            "archive version 9",
        ),
        (lambda lines: [*lines[:5], "{broken", *lines[6:]], "line 6: not valid JSON"),
        (lambda lines: lines[:-3], "truncated or edited"),
        (
            lambda lines: [*lines[:4], '{"table": "nope", "row": {}}', *lines[4:]],
            "line 5: expected",
        ),
        (lambda lines: [], "the archive is empty"),
    ],
)
def test_bad_archives_are_refused_and_change_nothing(
    sqlite_source: Database,
    tmp_path: Path,
    clock: FixedClock,
    mangle,
    message,  # type: ignore[no-untyped-def]
) -> None:
    buffer = io.StringIO()
    export(sqlite_source, buffer, now=clock.now())
    lines = mangle(buffer.getvalue().splitlines())
    target = fresh(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(ArchiveError, match=message):
        import_archive(target, io.StringIO("\n".join(lines)))
    with target.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    target.dispose()


def test_cli_export_and_import(sqlite_source: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    source_url = sqlite_source.engine.url.render_as_string(hide_password=False)
    file = tmp_path / "backup.jsonl"
    exported = runner.invoke(main, ["export", str(file), "--database", source_url])
    assert exported.exit_code == 0, exported.output
    target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    imported = runner.invoke(main, ["import", str(file), "--database", target_url])
    assert imported.exit_code == 0, imported.output
    assert "audit chain verified" in imported.output
    again = runner.invoke(main, ["import", str(file), "--database", target_url])
    assert again.exit_code == 1 and "nothing was imported" in again.output
