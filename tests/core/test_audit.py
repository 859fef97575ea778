"""The audit chain: tampering with raw SQL is caught, on both databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from fireline.cli import main
from fireline.core import audit
from fireline.core.audit import Actor, AuditEvent, chain_hash, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database

VERIFY_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_audit_export.py"


def write_events(db: Database, clock: FixedClock, count: int = 6) -> None:
    for i in range(count):
        with db.transaction() as session:
            audit.record(
                session,
                actor=Actor.user(1, "ada@example.com"),
                action="thing.changed",
                object_type="thing",
                object_id=i,
                changes={"n": i, "name": ["before", f"after {i} ✓"]},
                now=clock.advance(minutes=1),
            )


def cli_verify(db: Database, *extra: str):  # type: ignore[no-untyped-def]
    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, ["audit", "verify", "--database", url, *extra])


def tamper(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_untouched_chain_verifies(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    result = cli_verify(db)
    assert result.exit_code == 0, result.output
    assert "audit chain OK: 6 records" in result.output


def test_edited_record_is_named(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    tamper(db, "UPDATE audit_events SET actor_name = 'mallory@example.com' WHERE seq = 3")
    result = cli_verify(db)
    assert result.exit_code == 1
    assert "BROKEN at record 3 (thing.changed" in result.output
    assert "the record was edited" in result.output


def test_deleted_record_is_named(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    tamper(db, "DELETE FROM audit_events WHERE seq = 4")
    with db.session() as session:
        result = verify(session)
    assert not result.ok and result.bad_seq == 5 and "missing" in result.reason


def test_inserted_record_is_caught(db: Database, clock: FixedClock) -> None:
    """A forged record slipped in after record 2, with a correct hash of its own."""
    write_events(db, clock)
    tamper(db, "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 3")
    tamper(db, "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000")
    with db.session() as session:
        second = session.get(AuditEvent, 2)
        assert second is not None
        forged = {
            "seq": 3,
            "at": "2026-03-02T09:02:30.000000Z",
            "actor_type": "user",
            "actor_id": "1",
            "actor_name": "ada@example.com",
            "action": "user.created",
            "object_type": "user",
            "object_id": "99",
            "changes": {"role": "admin"},
        }
        forged_hash = chain_hash(second.hash, forged)
    # The record after it must now point at the forgery (prev_hash is unique).
    tamper(db, "UPDATE audit_events SET prev_hash = :h WHERE seq = 4", h=forged_hash)
    tamper(
        db,
        "INSERT INTO audit_events (seq, at, actor_type, actor_id, actor_name, action, object_type,"
        " object_id, changes, prev_hash, hash) VALUES (3, :at, 'user', '1', 'ada@example.com',"
        " 'user.created', 'user', '99', :changes, :prev, :hash)",
        at="2026-03-02 09:02:30",
        changes=json.dumps({"role": "admin"}),
        prev=second.hash,
        hash=forged_hash,
    )
    with db.session() as session:
        result = verify(session)
    assert not result.ok and result.bad_seq == 4
    assert cli_verify(db).exit_code == 1


def test_edited_last_record_and_truncation_with_anchor(db: Database, clock: FixedClock) -> None:
    write_events(db, clock)
    url = db.engine.url.render_as_string(hide_password=False)
    head = CliRunner().invoke(main, ["audit", "head", "--database", url]).output.strip()
    assert head.startswith("6:")
    assert cli_verify(db, "--anchor", head).exit_code == 0
    tamper(db, "DELETE FROM audit_events WHERE seq = 6")
    assert cli_verify(db).exit_code == 0  # a bare chain cannot see a cut tail …
    result = cli_verify(db, "--anchor", head)  # … the anchor can
    assert result.exit_code == 1 and "record 6 is missing" in result.output
    tamper(db, "UPDATE audit_events SET changes = :c WHERE seq = 5", c=json.dumps({"n": 500}))
    assert "BROKEN at record 5" in cli_verify(db).output


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


def test_export_verifies_offline_with_the_documented_script(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    write_events(db, clock)
    export = tmp_path / "audit.jsonl"
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["audit", "export", str(export), "--database", url])
    assert result.exit_code == 0
    lines = export.read_text().splitlines()
    assert len(lines) == 6 and all("hash" in json.loads(line) for line in lines)
    ok = subprocess.run(
        [sys.executable, str(VERIFY_SCRIPT), str(export)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 6 records")
    records = [json.loads(line) for line in lines]
    records[2]["object_id"] = "42"
    export.write_text("".join(json.dumps(r) + "\n" for r in records))
    bad = subprocess.run(
        [sys.executable, str(VERIFY_SCRIPT), str(export)], capture_output=True, text=True
    )
    assert bad.returncode != 0 and "record 3" in bad.stderr


def test_audit_api(client, personas, db: Database) -> None:  # type: ignore[no-untyped-def]
    admin = personas["admin"].headers
    events = client.get("/api/v1/audit?object_type=api_token&limit=2", headers=admin).json()
    assert len(events) == 2 and events[0]["seq"] > events[1]["seq"]
    assert all(e["action"] == "token.created" for e in events)
    page = client.get(f"/api/v1/audit?before_seq={events[1]['seq']}", headers=admin).json()
    assert all(e["seq"] < events[1]["seq"] for e in page)
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True
    tamper(db, "UPDATE audit_events SET action = 'nothing' WHERE seq = 2")
    broken = client.get("/api/v1/audit/verify", headers=admin).json()
    assert broken["ok"] is False and broken["bad_seq"] == 2
