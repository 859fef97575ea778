"""The audit chain: tampering with raw SQL is caught and named, on both databases.

Every tampering here goes straight to the table through SQL, the way someone
with database access would, never through fireline's own functions.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import insert, select, text, update

from fireline.cli import main
from fireline.core import audit
from fireline.core.audit import Actor, AuditEvent, canonical_record, chain_hash, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.migrate import upgrade
from fireline.models import Base
from tests.conftest import START

DOCS = Path(__file__).resolve().parents[2] / "docs"
TABLE = Base.metadata.tables["audit_events"]


def write_events(db: Database, clock: FixedClock, count: int = 6) -> None:
    """Record k is at START + k minutes."""
    for i in range(1, count + 1):
        with db.transaction() as session:
            audit.record(
                session,
                actor=Actor.user(1, "ada@example.com"),
                action="thing.changed",
                object_type="thing",
                object_id=i,
                changes={"n": i, "name": ["before", f"after {i} ✓ \u2028 é"], "ratio": i / 3},
                now=clock.advance(minutes=1),
            )


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def run(db: Database, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--database", url_of(db)])


def sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def stored(db: Database, seq: int) -> dict[str, Any]:
    with db.engine.connect() as connection:
        row = connection.execute(select(TABLE).where(TABLE.c.seq == seq)).mappings().one()
    return dict(row)


def forged(prev_hash: str, seq: int, **fields: object) -> dict[str, object]:
    """A record with a correct hash of its own, as a forger who read docs/audit.md makes it."""
    record = {
        "seq": seq,
        "at": START + timedelta(minutes=seq, seconds=30),
        "actor_type": "user",
        "actor_id": "1",
        "actor_name": "ada@example.com",
        "action": "user.role_changed",
        "object_type": "user",
        "object_id": "99",
        "changes": {"role": ["viewer", "admin"]},
        **fields,
    }
    return {
        **record,
        "prev_hash": prev_hash,
        "hash": chain_hash(prev_hash, canonical_record(record)),
    }


def edit_middle_field(db: Database) -> None:
    sql(db, "UPDATE audit_events SET actor_name = 'mallory@example.com' WHERE seq = 3")


def edit_middle_changes(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.seq == 3).values(changes={"n": 300}))


def edit_middle_time(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(TABLE).where(TABLE.c.seq == 3).values(at=START + timedelta(minutes=3, seconds=1))
        )


def edit_middle_link(db: Database) -> None:
    sql(db, "UPDATE audit_events SET prev_hash = :h WHERE seq = 3", h="f" * 64)


def edit_last_record(db: Database) -> None:
    sql(db, "UPDATE audit_events SET object_id = '42' WHERE seq = 6")


def delete_middle(db: Database) -> None:
    sql(db, "DELETE FROM audit_events WHERE seq = 4")


def delete_and_renumber(db: Database) -> None:
    # Two steps, so no unique constraint trips over a half-shifted range.
    sql(db, "DELETE FROM audit_events WHERE seq = 4")
    sql(db, "UPDATE audit_events SET seq = seq + 1000 WHERE seq > 4")
    sql(db, "UPDATE audit_events SET seq = seq - 1001 WHERE seq > 1000")


def fill_gap_with_forgery(db: Database) -> None:
    """Replace record 4 with a forged one that links correctly to record 3."""
    third = stored(db, 3)
    sql(db, "DELETE FROM audit_events WHERE seq = 4")
    with db.engine.begin() as connection:
        connection.execute(insert(TABLE).values(forged(str(third["hash"]), 4)))


def insert_by_shifting(db: Database) -> None:
    """Renumber records 3.. up by one and slip a forged record 3 in after record 2."""
    second = stored(db, 2)
    sql(db, "UPDATE audit_events SET seq = seq + 1001 WHERE seq >= 3")
    sql(db, "UPDATE audit_events SET seq = seq - 1000 WHERE seq >= 1000")
    forgery = forged(str(second["hash"]), 3)
    # prev_hash is unique: the shifted record must first point at the forgery.
    sql(db, "UPDATE audit_events SET prev_hash = :h WHERE seq = 4", h=forgery["hash"])
    with db.engine.begin() as connection:
        connection.execute(insert(TABLE).values(forgery))


# (how, the record named, records before it that verify, why)
TAMPERING: list[tuple[Callable[[Database], None], int, int, str]] = [
    (edit_middle_field, 3, 2, "its contents do not match its hash: the record was edited"),
    (edit_middle_changes, 3, 2, "the record was edited"),
    (edit_middle_time, 3, 2, "the record was edited"),
    (edit_middle_link, 3, 2, "its prev_hash does not match"),
    (edit_last_record, 6, 5, "the record was edited"),
    (delete_middle, 5, 3, "expected record 4 but found 5: records are missing"),
    (delete_and_renumber, 4, 3, "its prev_hash does not match"),
    (fill_gap_with_forgery, 5, 4, "its prev_hash does not match"),
    (insert_by_shifting, 4, 3, "the record was edited"),
]


def test_an_untouched_chain_verifies(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    result = run(db, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"audit chain OK: 6 records, head 6:[0-9a-f]{64}\n", result.output)


@pytest.mark.parametrize(
    "tamper, bad_seq, verified, reason", TAMPERING, ids=[t[0].__name__ for t in TAMPERING]
)
def test_tampering_names_the_first_bad_record(
    db: Database,
    clock: FixedClock,
    tamper: Callable[[Database], None],
    bad_seq: int,
    verified: int,
    reason: str,
) -> None:
    write_events(db, clock)
    assert run(db, "audit", "verify").exit_code == 0
    tamper(db)
    result = run(db, "audit", "verify")
    assert result.exit_code == 1, result.output
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"audit chain BROKEN at record {bad_seq} (")
    found = stored(db, bad_seq)
    assert f"({found['action']} at {audit.format_time(found['at'])})" in line
    assert reason in line
    assert f"records 1 to {verified} verify" in result.stderr


def test_a_consistent_rewrite_of_the_tail_verifies_but_breaks_the_anchor(
    db: Database, clock: FixedClock
) -> None:
    """The honest limitation: without an anchor, recomputed hashes look like a real chain."""
    write_events(db, clock)
    anchor = run(db, "audit", "head").output.strip()
    earlier = f"3:{stored(db, 3)['hash']}"
    # Rewrite records 4..6 and append a seventh, every hash recomputed.
    prev = str(stored(db, 3)["hash"])
    sql(db, "DELETE FROM audit_events WHERE seq > 3")
    with db.engine.begin() as connection:
        for seq in range(4, 8):
            row = forged(prev, seq, object_id=str(seq))
            connection.execute(insert(TABLE).values(row))
            prev = str(row["hash"])
    assert run(db, "audit", "verify").exit_code == 0
    assert run(db, "audit", "verify", "--anchor", earlier).exit_code == 0
    result = run(db, "audit", "verify", "--anchor", anchor)
    assert result.exit_code == 1
    assert "record 6 now has hash" in result.stderr
    assert "the chain was rewritten at or before record 6" in result.stderr


def test_a_cut_tail_verifies_but_breaks_the_anchor(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    anchor = run(db, "audit", "head").output.strip()
    assert anchor.startswith("6:")
    ok = run(db, "audit", "verify", "--anchor", anchor)
    assert ok.exit_code == 0 and "it holds anchor record 6" in ok.output
    sql(db, "DELETE FROM audit_events WHERE seq >= 5")
    assert run(db, "audit", "verify").exit_code == 0  # a bare chain cannot see it …
    result = run(db, "audit", "verify", "--anchor", anchor)  # … the anchor can
    assert result.exit_code == 1
    assert "record 6 is missing: the chain now ends at record 4" in result.stderr


def test_an_old_anchor_still_holds_after_new_records(db: Database, clock: FixedClock) -> None:
    write_events(db, clock, count=2)
    anchor = run(db, "audit", "head").output.strip()
    write_events(db, clock, count=3)
    assert run(db, "audit", "verify", "--anchor", anchor).exit_code == 0


@pytest.mark.parametrize("anchor", ["6", "x:abc", "6:" + "g" * 64, "6:" + "a" * 63])
def test_a_malformed_anchor_is_a_usage_error(db: Database, clock: FixedClock, anchor: str) -> None:
    write_events(db, clock, count=1)
    result = run(db, "audit", "verify", "--anchor", anchor)
    assert result.exit_code == 2 and "SEQ:HASH" in result.output


def test_head_of_an_empty_chain_is_the_genesis(db: Database) -> None:
    result = run(db, "audit", "head")
    assert result.exit_code == 0 and result.output == f"0:{'0' * 64}\n"
    assert run(db, "audit", "verify", "--anchor", result.output.strip()).exit_code == 0


def test_garbage_written_into_sqlite_is_named_not_a_crash(
    tmp_path: Path, clock: FixedClock
) -> None:
    """SQLite stores whatever it is given; verify must still name the record."""
    db = Database(f"sqlite:///{tmp_path / 'fireline.db'}")
    upgrade(db.engine)
    write_events(db, clock)
    sql(db, "UPDATE audit_events SET changes = '{not json' WHERE seq = 2")
    sql(db, "UPDATE audit_events SET at = 'last tuesday' WHERE seq = 4")
    result = run(db, "audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at record 2 (thing.changed" in result.stderr
    assert "it cannot be read" in result.stderr
    sql(db, "UPDATE audit_events SET changes = '{}' WHERE seq = 2")
    with db.session() as session:
        second = verify(session)
    assert (second.bad_seq, second.bad_action) == (2, "thing.changed")
    assert "the record was edited" in second.reason
    db.dispose()


def test_values_jsonb_would_reshape_are_stored_as_hashed(db: Database, clock: FixedClock) -> None:
    """jsonb prints 1e20 in full, drops the sign of -0.0 and refuses NaN: none may break the chain."""
    awkward = {
        "big": 1e20,
        "edge": 1e16,
        "below": 9999999999999998.0,
        "tiny": 5e-324,
        "negative_zero": -0.0,
        "nan": float("nan"),
        "inf": [float("inf"), float("-inf")],
        "huge_int": 12345678901234567890123,
        "text": 'line\u2028separator, \u00e9, \U0001f525, \\ and "quotes"',
        "nested": {"b": [1, 2.5, None, True], "a": {}},
    }
    with db.transaction() as session:
        audit.record(
            session,
            actor=Actor.system(),
            action="awkward.values",
            object_type="thing",
            object_id=1,
            changes=awkward,
            now=clock.now(),
        )
    with db.session() as session:
        result = verify(session)
        assert result.ok, result.reason
        changes = session.scalars(select(AuditEvent.changes)).one()
    assert changes["big"] == 10**20 and isinstance(changes["big"], int)
    assert changes["nan"] == "nan" and changes["inf"] == ["inf", "-inf"]
    assert changes["below"] == 9999999999999998.0 and changes["tiny"] == 5e-324
    assert changes["text"] == awkward["text"]


def test_secrets_never_enter_the_log(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        event = audit.record(
            session,
            actor=Actor.system(),
            action="x",
            object_type="x",
            object_id=1,
            changes={"password": "hunter2", "nested": {"api_key": "k"}, "name": "ok"},
            now=clock.now(),
        )
    assert event.changes == {
        "password": "[redacted]",
        "nested": {"api_key": "[redacted]"},
        "name": "ok",
    }


def test_the_database_comes_from_the_environment(db: Database, clock: FixedClock) -> None:
    write_events(db, clock, count=2)
    result = CliRunner(env={"FIRELINE_DATABASE_URL": url_of(db)}).invoke(main, ["audit", "verify"])
    assert result.exit_code == 0 and "2 records" in result.output


def test_no_database_is_exit_3_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for command in (["audit", "verify"], ["audit", "head"]):
        result = CliRunner().invoke(main, [*command, "--database", f"sqlite:///{missing}"])
        assert result.exit_code == 3 and f"no database at {missing}" in result.output
    assert not missing.exists()
    sqlite3.connect(tmp_path / "blank.db").close()
    blank = CliRunner().invoke(
        main, ["audit", "verify", "--database", f"sqlite:///{tmp_path / 'blank.db'}"]
    )
    assert blank.exit_code == 3 and "no fireline schema" in blank.output
    unreachable = CliRunner().invoke(
        main, ["audit", "verify", "--database", "postgresql://nobody@127.0.0.1:9/none"]
    )
    assert unreachable.exit_code == 3 and "cannot use the database" in unreachable.output


# --- offline verification ------------------------------------------------------


def documented_script() -> str:
    """The Python block of docs/audit.md, which must be the script shipped beside it."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "audit.md").read_text(), re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


def offline(script: Path, export: Path, *anchor: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(script), str(export), *anchor],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_documented_script_is_the_shipped_script() -> None:
    assert documented_script() == (DOCS / "verify_audit_export.py").read_text()
    code_lines = [line for line in documented_script().splitlines() if line.strip()]
    assert len(code_lines) <= 20


def test_an_export_verifies_offline_with_the_documented_script(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    script = tmp_path / "verify.py"
    script.write_text(documented_script())
    write_events(db, clock)
    anchor = run(db, "audit", "head").output.strip()
    write_events(db, clock, count=2)
    export = tmp_path / "audit.jsonl"
    result = run(db, "audit", "export", str(export))
    assert result.exit_code == 0 and "exported 8 audit records" in result.stderr
    assert run(db, "audit", "export").stdout == export.read_text(encoding="utf-8")
    lines = export.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(lines) == 8 and all({"hash", "prev_hash"} <= set(json.loads(x)) for x in lines)

    ok = offline(script, export)
    head = run(db, "audit", "head").output.strip()
    assert ok.returncode == 0 and ok.stdout == f"OK: 8 records, head {head}\n", ok.stderr
    assert offline(script, export, anchor).returncode == 0

    def rewritten(change: Callable[[list[dict[str, object]]], None]) -> Path:
        records = [json.loads(line) for line in lines]
        change(records)
        path = tmp_path / "tampered.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return path

    def edit(records: list[dict[str, object]]) -> None:
        records[2]["object_id"] = "42"

    def drop(records: list[dict[str, object]]) -> None:
        del records[4]

    edited = offline(script, rewritten(edit))
    assert edited.returncode == 1 and "record 3 (line 3) does not verify" in edited.stderr
    dropped = offline(script, rewritten(drop))
    assert dropped.returncode == 1 and "record 6 (line 5) does not verify" in dropped.stderr
    cut = rewritten(lambda records: records.__delitem__(slice(5, None)))
    assert offline(script, cut).returncode == 0  # a shorter chain is still a chain …
    missing = offline(script, cut, anchor)  # … that does not hold the anchor
    assert missing.returncode == 1 and "does not hold the anchor" in missing.stderr
