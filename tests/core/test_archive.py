"""The archive: SQLite → PostgreSQL → SQLite with identical rows and a chain that still verifies."""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    select,
    text,
)

from fireline.catalog import service as catalog
from fireline.cli import main
from fireline.core import archive, audit
from fireline.core.archive import (
    ArchiveError,
    archived_tables,
    decode_row,
    encode_value,
    export,
    import_archive,
)
from fireline.core.audit import Actor, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database, UTCDateTime
from fireline.core.jobs import queue
from fireline.core.migrate import upgrade
from fireline.demo import seed
from fireline.models import Base
from fireline.people import service as people
from tests.conftest import START

ACTOR = Actor.system("tests")


def fresh(url: str) -> Database:
    db = Database(url)
    upgrade(db.engine)
    return db


def populate(db: Database, clock: FixedClock) -> None:
    """A small organisation made through the real use cases, with awkward values on purpose."""
    with db.transaction() as session:
        now = clock.advance(minutes=1)
        ada = people.create_user(
            session,
            actor=ACTOR,
            now=now,
            email="ada@example.com",
            name="Ada Lovelace",
            role="admin",
            time_zone="Europe/London",
            password="correct horse battery",
        )
        grace = people.create_user(
            session, actor=ACTOR, now=now, email="grace@example.com", name="Grace ‘Amazing’ H."
        )
        linus = people.create_user(
            session, actor=ACTOR, now=now, email="linus@example.com", name="Linus Ø ✓\u2028Ops"
        )
        people.set_role(
            session, actor=ACTOR, now=clock.advance(seconds=1), user=grace, role="manager"
        )
        core = people.create_team(
            session, actor=ACTOR, now=now, slug="core", name="Core", description='a\nb "c"'
        )
        people.create_team(session, actor=ACTOR, now=now, slug="empty", name="Nobody here")
        for user in (ada, grace, linus):
            people.add_member(
                session, actor=ACTOR, now=now, team=core, user=user, is_lead=user is ada
            )
        people.remove_member(session, actor=ACTOR, now=now, team=core, user=linus)
        people.create_token(session, actor=ACTOR, now=now, user=ada, name="ci")
        old = people.create_token(session, actor=ACTOR, now=now, user=grace, name="old laptop")
        people.revoke_token(session, actor=ACTOR, now=clock.advance(seconds=1), token=old.row)
        catalog.create_service(
            session,
            actor=ACTOR,
            now=now,
            slug="api",
            name="API",
            owner_team="core",
            tier=1,
            runbook_url="https://runbooks.example.com/api?x=1&y=ü",
        )
        catalog.create_service(session, actor=ACTOR, now=now, slug="orphan", name="No owner")
        for n, kind in enumerate(("mail", "webhook", "mail")):
            queue.enqueue(
                session,
                kind=kind,
                payload={
                    "to": ["ops@example.com"],
                    "n": n,
                    "ratio": 0.1 + n,
                    "x": {"b": [None, True]},
                },
                now=now,
                idempotency_key=f"key-{n}" if n else None,
            )
        audit.record(
            session,
            actor=Actor.user(ada.id, ada.email),
            action="thing.awkward",
            object_type="thing",
            object_id="ø",
            changes={"big": 1e20, "tiny": 5e-324, "text": '\u2028\U0001f525"\\', "none": None},
            now=now,
        )
    with db.transaction() as session:  # one job done, one failed and waiting, one queued
        later = clock.advance(minutes=1)
        first, second = queue.claim(
            session, worker_id="w1", now=later, lease=timedelta(minutes=5), limit=2
        )
        queue.complete(session, job_id=first, worker_id="w1", now=later)
        queue.fail(
            session, job_id=second, worker_id="w1", error="boom ✗", now=later, rng=random.Random(1)
        )
    with db.transaction() as session:  # the demo adds incidents, timelines, roles, participants
        seed(session, now=clock.advance(minutes=1), password="demo-password-1")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A populated SQLite database, built once: the tests only read it."""
    db = fresh(f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.db'}")
    populate(db, FixedClock(START))
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def archive_lines(source: Database) -> list[str]:
    return dump(source)


def dump(db: Database, at: datetime = START) -> list[str]:
    buffer = io.StringIO()
    export(db, buffer, now=at)
    # split, not splitlines: U+2028 inside a JSON string is not a line break.
    return buffer.getvalue().split("\n")[:-1]


def without_time(lines: list[str]) -> list[str]:
    header = json.loads(lines[0])
    assert header.pop("exported_at")
    return [json.dumps(header), *lines[1:]]


def load(db: Database, lines: list[str]) -> archive.Imported:
    return import_archive(db, io.StringIO("".join(line + "\n" for line in lines)))


def row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            t.name: connection.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def test_every_table_is_archived_or_deliberately_skipped() -> None:
    archived = [t.name for t in archived_tables()]
    assert len(archived) == len(set(archived))
    assert set(archived) | archive.SKIPPED == set(Base.metadata.tables)
    assert set(Base.metadata.tables) >= archive.SKIPPED, "a skipped table no longer exists"


def test_the_archive_has_a_header_then_rows_in_foreign_key_order(
    archive_lines: list[str], source: Database
) -> None:
    header = json.loads(archive_lines[0])
    assert list(header) == ["format", "version", "schema_revision", "exported_at", "tables"]
    assert header["format"] == "fireline-archive" and header["version"] == 1
    assert header["exported_at"] == "2026-03-02T09:00:00.000000Z"
    assert header["tables"] == {
        name: count for name, count in row_counts(source).items() if name not in archive.SKIPPED
    }
    rows = [json.loads(line) for line in archive_lines[1:]]
    assert len(rows) == sum(header["tables"].values())
    order = [t.name for t in archived_tables()]
    positions = [order.index(r["table"]) for r in rows]
    assert positions == sorted(positions)
    users = [r["row"] for r in rows if r["table"] == "users"]
    assert [u["id"] for u in users] == sorted(u["id"] for u in users)
    assert users[0]["created_at"] == "2026-03-02T09:01:00.000000Z"
    assert users[0]["password_hash"].startswith("$argon2")
    assert users[0]["is_active"] is True
    jobs = [r["row"] for r in rows if r["table"] == "jobs"]
    assert jobs[0]["payload"] == {
        "n": 0,
        "ratio": 0.1,
        "to": ["ops@example.com"],
        "x": {"b": [None, True]},
    }


def test_round_trip_sqlite_postgres_sqlite(
    source: Database, archive_lines: list[str], postgres_url: str, tmp_path: Path
) -> None:
    first = archive_lines
    assert {json.loads(x)["table"] for x in first[1:]} >= {
        "users", "teams", "team_memberships", "api_tokens", "services", "jobs", "audit_events",
        "incidents", "timeline_events",
    }  # fmt: skip
    postgres = fresh(postgres_url)
    assert load(postgres, first).chain.ok
    second = dump(postgres, START + timedelta(days=1))
    back = fresh(f"sqlite:///{tmp_path / 'back.db'}")
    assert load(back, second).chain.ok
    third = dump(back, START + timedelta(days=2))
    assert without_time(first) == without_time(second) == without_time(third)
    for db in (source, postgres, back):
        with db.session() as session:
            assert verify(session).ok
    assert row_counts(postgres) == row_counts(back)

    largest = max(json.loads(x)["row"]["id"] for x in first[1:] if '"table":"users"' in x)
    with postgres.transaction() as session:  # the id sequences moved past the imported ids
        user = people.create_user(
            session, actor=ACTOR, now=START, email="new@example.com", name="New"
        )
        team = people.create_team(session, actor=ACTOR, now=START, slug="new", name="New")
        people.add_member(session, actor=ACTOR, now=START, team=team, user=user)
    assert user.id == largest + 1
    with postgres.session() as session:
        assert verify(session).ok
    postgres.dispose()
    back.dispose()


def test_import_refuses_a_database_that_holds_data(
    db: Database, archive_lines: list[str], clock: FixedClock
) -> None:
    with db.transaction() as session:
        people.create_team(session, actor=ACTOR, now=clock.now(), slug="here", name="Already")
    before = row_counts(db)
    with pytest.raises(ArchiveError, match=r"already holds data \(table audit_events\)"):
        load(db, archive_lines)
    assert row_counts(db) == before


def swap_header(lines: list[str], **changes: object) -> list[str]:
    header = json.loads(lines[0])
    header.update(changes)
    return [json.dumps(header), *lines[1:]]


def edit_row(lines: list[str], table: str, **changes: object) -> list[str]:
    """The archive with the first row of ``table`` changed (DROP removes a column)."""
    number = next(n for n, line in enumerate(lines) if f'"table":"{table}"' in line)
    record = json.loads(lines[number])
    record["row"].update(changes)
    for name, value in list(record["row"].items()):
        if value is DROP:
            del record["row"][name]
    return [*lines[:number], json.dumps(record), *lines[number + 1 :]]


def line_of(lines: list[str], table: str) -> int:
    """The line number of the first row of ``table``."""
    return 1 + next(n for n, line in enumerate(lines) if f'"table":"{table}"' in line)


DROP = object()


def test_a_duplicate_row_is_named_by_its_line(db: Database, archive_lines: list[str]) -> None:
    first = line_of(archive_lines, "teams")
    lines = [*archive_lines[:first], archive_lines[first - 1], *archive_lines[first:]]
    before = row_counts(db)  # empty, but for what migrations make (archive.SEEDED)
    with pytest.raises(ArchiveError) as refused:
        load(db, lines)
    assert str(refused.value).startswith(f"line {first + 1}: the database refused this teams row")
    assert row_counts(db) == before
    assert sum(before.values()) == sum(before[t] for t in archive.SEEDED)


@pytest.mark.parametrize(
    "mangle, message",
    [
        pytest.param(lambda lines: [], "the archive is empty", id="empty"),
        pytest.param(
            lambda lines: ['{"format": "other"}', *lines[1:]],
            "line 1: this is not a fireline archive",
            id="not an archive",
        ),
        pytest.param(
            lambda lines: ["PK\x03\x04", *lines[1:]], "line 1: not valid JSON", id="binary"
        ),
        pytest.param(
            lambda lines: swap_header(lines, version=2),
            "line 1: archive format version 2; this fireline reads version 1",
            id="future version",
        ),
        pytest.param(
            lambda lines: swap_header(lines, schema_revision="0001"),
            "line 1: the archive has schema revision '0001'",
            id="other schema",
        ),
        pytest.param(
            lambda lines: swap_header(lines, tables={"users": 1}),
            "line 1: the header must count the rows of",
            id="counts missing",
        ),
        pytest.param(
            lambda lines: [*lines[:40], '{"table": "users", "row": {"id": 1', *lines[41:]],
            "line 41: not valid JSON",
            id="garbled line",
        ),
        pytest.param(
            lambda lines: [*lines[:9], "[1, 2]", *lines[10:]],
            "line 10: expected a JSON object",
            id="not an object",
        ),
        pytest.param(
            lambda lines: [*lines[:4], '{"table": "nope", "row": {}}', *lines[4:]],
            'line 5: expected {"table": <a table name>',
            id="unknown table",
        ),
        pytest.param(
            lambda lines: lines[:-3],
            "the header promises",
            id="truncated",
        ),
    ],
)
def test_a_bad_archive_is_refused_and_changes_nothing(
    db: Database, archive_lines: list[str], mangle: Callable[[list[str]], list[str]], message: str
) -> None:
    before = row_counts(db)
    with pytest.raises(ArchiveError) as refused:
        load(db, mangle(archive_lines))
    assert message in str(refused.value)
    assert row_counts(db) == before


@pytest.mark.parametrize(
    "table, changes, message",
    [
        ("users", {"email": 7}, "users: email must be a str, not int"),
        ("users", {"is_active": "yes"}, "users: is_active must be a bool"),
        ("users", {"id": True}, "users: id must be an integer"),
        ("users", {"created_at": "yesterday"}, "users: Invalid isoformat string"),
        (
            "users",
            {"created_at": "2026-03-02T09:00:00"},
            "users: created_at must carry a time zone",
        ),
        ("users", {"name": None}, "users: name may not be null"),
        ("users", {"shoe_size": 44}, "users: unknown column shoe_size"),
        ("users", {"email": DROP}, "users: missing column email"),
        ("team_memberships", {"user_id": 424242}, "the database refused this team_memberships row"),
    ],
)
def test_a_bad_row_is_named_by_its_line(
    db: Database, archive_lines: list[str], table: str, changes: dict[str, object], message: str
) -> None:
    lines = edit_row(archive_lines, table, **changes)
    before = row_counts(db)
    with pytest.raises(ArchiveError) as refused:
        load(db, lines)
    assert str(refused.value).startswith(f"line {line_of(archive_lines, table)}: ")
    assert message in str(refused.value)
    assert row_counts(db) == before


def test_values_are_encoded_by_column_type_and_come_back_unchanged() -> None:
    """Types fireline has no column of yet still round-trip, so a later table need not care."""
    table = Table(
        "future",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
        Column("day", Date),
        Column("blob", LargeBinary),
        Column("amount", Numeric(12, 4)),
        Column("ratio", Float),
        Column("label", String(20), nullable=True),
    )
    row = {
        "id": 1,
        "at": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
        "day": date(2026, 2, 28),
        "blob": b"\x00\xffbytes",
        "amount": Decimal("12345678.1234"),
        "ratio": 0.1,
        "label": None,
    }
    encoded = {c.name: encode_value(c, row[c.name]) for c in table.columns}
    assert encoded == {
        "id": 1,
        "at": "2026-03-02T09:00:00.123456Z",
        "day": "2026-02-28",
        "blob": base64.b64encode(b"\x00\xffbytes").decode(),
        "amount": "12345678.1234",
        "ratio": 0.1,
        "label": None,
    }
    assert decode_row(table, json.loads(json.dumps(encoded))) == row


def test_cli_export_and_import(source: Database, tmp_path: Path, postgres_url: str) -> None:
    runner = CliRunner()
    source_url = source.engine.url.render_as_string(hide_password=False)
    file = tmp_path / "backup.jsonl"
    exported = runner.invoke(main, ["export", str(file), "--database", source_url])
    assert exported.exit_code == 0, exported.output
    assert "exported" in exported.stderr and not list(tmp_path.glob("*.partial"))
    to_stdout = CliRunner(env={"FIRELINE_DATABASE_URL": source_url}).invoke(main, ["export", "-"])
    assert without_time(to_stdout.stdout.split("\n")[:-1]) == without_time(
        file.read_text(encoding="utf-8").split("\n")[:-1]
    )

    # A blank PostgreSQL schema gets fireline's tables, then the rows.
    imported = runner.invoke(main, ["import", str(file), "--database", postgres_url])
    assert imported.exit_code == 0, imported.output
    assert "audit chain verified" in imported.stdout
    again = runner.invoke(main, ["import", str(file), "--database", postgres_url])
    assert again.exit_code == 1
    assert "already holds data" in again.stderr and "nothing was imported" in again.stderr

    target = tmp_path / "restored.db"
    from_stdin = runner.invoke(
        main, ["import", "-", "--database", f"sqlite:///{target}"], input=file.read_text()
    )
    assert from_stdin.exit_code == 0, from_stdin.output

    missing = runner.invoke(
        main,
        ["export", str(tmp_path / "x.jsonl"), "--database", f"sqlite:///{tmp_path / 'typo.db'}"],
    )
    assert missing.exit_code == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "x.jsonl").exists()


def test_cli_import_of_a_broken_chain_says_so(source: Database, tmp_path: Path) -> None:
    """The rows are a faithful copy, so they are imported; the exit code tells the chain is bad."""
    lines = dump(source)
    third = line_of(lines, "audit_events") + 2  # the line of record 3 (1-based)
    assert json.loads(lines[third - 1])["row"]["seq"] == 3
    lines[third - 1] = lines[third - 1].replace('"actor_name":"tests"', '"actor_name":"mallory"')
    file = tmp_path / "edited.jsonl"
    file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    target = f"sqlite:///{tmp_path / 't.db'}"
    result = CliRunner().invoke(main, ["import", str(file), "--database", target])
    assert result.exit_code == 3, result.output
    assert "imported, but the audit chain does not verify at record 3" in result.stderr
    verified = CliRunner().invoke(main, ["audit", "verify", "--database", target])
    assert verified.exit_code == 1 and "BROKEN at record 3" in verified.stderr


def test_export_refuses_a_database_behind_the_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db.engine, "0001")
    with pytest.raises(ArchiveError, match="run `fireline db upgrade` first"):
        export(db, io.StringIO(), now=START)
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM users")) == 0
    db.dispose()
