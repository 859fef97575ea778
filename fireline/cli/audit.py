"""``fireline audit``: check and export the hash-chained audit log, without a server."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fireline.cli.archive import DATABASE_OPTION
from fireline.core.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fireline.core.db import Database


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


def _database(url: str | None) -> Database:
    from fireline.core.db import Database

    return Database(url or get_settings().database_url)


@audit.command()
@click.option(
    "--anchor",
    default=None,
    metavar="SEQ:HASH",
    help="A head recorded earlier (see `audit head`) that must still be in the chain",
)
@DATABASE_OPTION
def verify(anchor: str | None, database_url: str | None) -> None:
    """Recompute the chain; exit 1 naming the first bad record."""
    from fireline.core.audit import AuditEvent
    from fireline.core.audit import verify as verify_chain

    db = _database(database_url)
    try:
        with db.session() as session:
            result = verify_chain(session)
            if not result.ok:
                event = session.get(AuditEvent, result.bad_seq) if result.bad_seq else None
                detail = f" ({event.action} at {event.at.isoformat()})" if event else ""
                click.echo(
                    f"audit chain BROKEN at record {result.bad_seq}{detail}: {result.reason}",
                    err=True,
                )
                click.echo(f"the {result.checked} records before it verify", err=True)
                raise SystemExit(1)
            if anchor:
                _check_anchor(session, anchor)
    finally:
        db.dispose()
    click.echo(
        f"audit chain OK: {result.checked} records, head {result.head_seq}:{result.head_hash}"
    )


def _check_anchor(session: Session, anchor: str) -> None:
    from fireline.core.audit import AuditEvent

    seq_text, _, expected = anchor.partition(":")
    if not seq_text.isdigit() or len(expected) != 64:
        raise click.BadParameter(
            "expected SEQ:HASH as printed by `fireline audit head`", param_hint="--anchor"
        )
    event = session.get(AuditEvent, int(seq_text))
    if event is None or event.hash != expected:
        found = "missing" if event is None else f"has hash {event.hash}"
        click.echo(
            f"audit chain does not contain the anchor: record {seq_text} is {found}", err=True
        )
        raise SystemExit(1)


@audit.command()
@DATABASE_OPTION
def head(database_url: str | None) -> None:
    """Print the last record's SEQ:HASH, to keep somewhere fireline cannot write."""
    from sqlalchemy import select

    from fireline.core.audit import GENESIS_HASH, AuditEvent

    db = _database(database_url)
    try:
        with db.session() as session:
            last = session.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            ).first()
    finally:
        db.dispose()
    click.echo(f"{last[0]}:{last[1]}" if last else f"0:{GENESIS_HASH}")


@audit.command("export")
@click.argument(
    "file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-"
)
@DATABASE_OPTION
def export_audit(file: Path, database_url: str | None) -> None:
    """Write the chain as JSON lines with its hashes (default: standard output)."""
    from fireline.core.audit import iter_records

    db = _database(database_url)
    out = sys.stdout if str(file) == "-" else file.open("w", encoding="utf-8")
    count = 0
    try:
        with db.session() as session:
            for record in iter_records(session):
                out.write(
                    json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                    + "\n"
                )
                count += 1
    finally:
        if out is not sys.stdout:
            out.close()
        db.dispose()
    click.echo(f"exported {count} audit records", err=True)


def register(main: click.Group) -> None:
    main.add_command(audit)
