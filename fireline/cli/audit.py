"""``fireline audit``: check and export the hash-chained audit log, without a server.

Exit codes of ``audit verify``: 0 the chain verifies (and holds the anchor);
1 tampering found; 2 bad usage; 3 the check could not run (no database,
no fireline schema, database unreachable).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fireline.cli.archive import (
    DATABASE_OPTION,
    FILE_ARGUMENT,
    CannotCheck,
    Failed,
    opened,
    output,
    resolve_url,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fireline.core.audit import VerifyResult
    from fireline.core.db import Database

ANCHOR = re.compile(r"(\d+):([0-9a-f]{64})")


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


def _require_schema(db: Database, failure: type[Failed] = CannotCheck) -> None:
    from fireline.core.migrate import current_revision

    if current_revision(db.engine) is None:
        raise failure("the database has no fireline schema")


def parse_anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    match = ANCHOR.fullmatch(value.strip().lower())
    if match is None:
        raise click.BadParameter(
            "expected SEQ:HASH as printed by `fireline audit head`", param_hint="--anchor"
        )
    return int(match[1]), match[2]


def anchor_problem(session: Session, result: VerifyResult, seq: int, expected: str) -> str | None:
    """Why a verified chain does not hold the anchor, or None when it does.

    A chain that verifies and still holds record ``seq`` with its old hash
    holds every record up to it unchanged: each hash covers all before it."""
    from sqlalchemy import select

    from fireline.core.audit import GENESIS_HASH, AuditEvent

    if seq == 0:
        return None if expected == GENESIS_HASH else "record 0 is the genesis, whose hash is zeros"
    if seq > result.head_seq:
        return (
            f"record {seq} is missing: the chain now ends at record {result.head_seq}, "
            "so records were removed from its end"
        )
    found = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if found != expected:
        return (
            f"record {seq} now has hash {found}, not {expected}: "
            f"the chain was rewritten at or before record {seq}"
        )
    return None


@audit.command()
@click.option(
    "--anchor",
    default=None,
    metavar="SEQ:HASH",
    help="A head recorded earlier with `fireline audit head`; the chain must still hold it",
)
@DATABASE_OPTION
def verify(anchor: str | None, database_url: str | None) -> None:
    """Recompute the chain; name the first bad record and exit 1 if there is one."""
    from fireline.core.audit import verify as verify_chain

    wanted = parse_anchor(anchor)
    with opened(resolve_url(database_url), failure=CannotCheck) as db:
        _require_schema(db)
        with db.session() as session:
            result = verify_chain(session)
            problem = anchor_problem(session, result, *wanted) if wanted and result.ok else None
    if not result.ok:
        what = f" ({result.bad_action} at {result.bad_at})" if result.bad_action else ""
        click.echo(
            f"audit chain BROKEN at record {result.bad_seq}{what}: {result.reason}", err=True
        )
        if result.checked:
            click.echo(f"records 1 to {result.checked} verify", err=True)
        raise SystemExit(1)
    if problem:
        click.echo(f"audit chain does not hold the anchor: {problem}", err=True)
        raise SystemExit(1)
    held = f"; it holds anchor record {wanted[0]}" if wanted else ""
    click.echo(
        f"audit chain OK: {result.checked} records, head {result.head_seq}:{result.head_hash}{held}"
    )


@audit.command()
@DATABASE_OPTION
def head(database_url: str | None) -> None:
    """Print the last record's SEQ:HASH, to keep somewhere fireline cannot write."""
    from sqlalchemy import select

    from fireline.core.audit import GENESIS_HASH, AuditEvent

    with opened(resolve_url(database_url), failure=CannotCheck) as db:
        _require_schema(db)
        with db.session() as session:
            last = session.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            ).first()
    click.echo(f"{last[0]}:{last[1]}" if last else f"0:{GENESIS_HASH}")


@audit.command("export")
@click.argument("file", type=FILE_ARGUMENT, default="-")
@DATABASE_OPTION
def export_audit(file: Path, database_url: str | None) -> None:
    """Write the chain as JSON lines with its hashes (default: standard output).

    docs/audit.md shows how to verify the file with nothing but Python."""
    from fireline.core.audit import iter_records

    count = 0
    with opened(resolve_url(database_url)) as db:
        _require_schema(db, Failed)
        with db.session() as session, output(file) as out:
            for record in iter_records(session):
                out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
                count += 1
    click.echo(f"exported {count} audit records", err=True)


def register(main: click.Group) -> None:
    main.add_command(audit)
