"""``fireline export`` and ``fireline import``: back up, restore, or move databases.

Both open the database directly, so they work while the server is stopped:
``--database`` (or FIRELINE_DATABASE_URL) says which.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fireline.core.config import get_settings

DATABASE_OPTION = click.option(
    "--database", "database_url", default=None, help="Database URL [FIRELINE_DATABASE_URL]"
)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@DATABASE_OPTION
def export_command(file: Path, database_url: str | None) -> None:
    """Write everything fireline stores to FILE (- for standard output)."""
    from fireline.core.archive import export
    from fireline.core.clock import SystemClock
    from fireline.core.db import Database

    db = Database(database_url or get_settings().database_url)
    try:
        if str(file) == "-":
            counts = export(db, sys.stdout, now=SystemClock().now())
        else:
            with file.open("w", encoding="utf-8") as out:
                counts = export(db, out, now=SystemClock().now())
    finally:
        db.dispose()
    click.echo(f"exported {sum(counts.values())} rows from {len(counts)} tables", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DATABASE_OPTION
def import_command(file: Path, database_url: str | None) -> None:
    """Load an archive into an empty database (migrated first); all or nothing."""
    from fireline.core.archive import ArchiveError, import_archive
    from fireline.core.audit import verify
    from fireline.core.db import Database
    from fireline.core.migrate import upgrade

    db = Database(database_url or get_settings().database_url)
    try:
        upgrade(db.engine)
        with file.open(encoding="utf-8") as source:
            counts = import_archive(db, source)
        with db.session() as session:
            chain = verify(session)
    except ArchiveError as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was imported") from None
    finally:
        db.dispose()
    click.echo(f"imported {sum(counts.values())} rows into {len(counts)} tables")
    if not chain.ok:
        raise click.ClickException(
            f"imported, but the audit chain does not verify: record {chain.bad_seq}: {chain.reason}"
        )
    click.echo(f"audit chain verified: {chain.checked} records")


def register(main: click.Group) -> None:
    main.add_command(export_command)
    main.add_command(import_command)
