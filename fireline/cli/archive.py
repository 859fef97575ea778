"""``fireline export`` and ``fireline import``: back up, restore, or move databases.

Both open the database directly, so they work while the server is stopped:
``--database`` (or FIRELINE_DATABASE_URL) says which. Exit codes: 0 done;
1 refused or failed, nothing imported; 2 bad usage; 3 imported, but the
imported audit chain does not verify.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from fireline.core.config import get_settings

if TYPE_CHECKING:
    from fireline.core.db import Database

DATABASE_OPTION = click.option(
    "--database",
    "database_url",
    default=None,
    metavar="URL",
    help="Database URL; default FIRELINE_DATABASE_URL",
)
FILE_ARGUMENT = click.Path(dir_okay=False, allow_dash=True, path_type=Path)


class Failed(click.ClickException):
    """Refused or failed; the message says why."""

    exit_code = 1


class CannotCheck(Failed):
    """The database could not be read, so nothing could be checked."""

    exit_code = 3


class ChainBroken(Failed):
    """Imported, but the audit chain that came with the data does not verify."""

    exit_code = 3


def resolve_url(option: str | None) -> str:
    return option or get_settings().database_url


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, or None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


@contextmanager
def opened(url: str, *, create: bool = False, failure: type[Failed] = Failed) -> Iterator[Database]:
    """The database at ``url``; a SQLite file is created only when ``create`` says so.

    SQLite would silently create an empty file for a mistyped path, and the
    command would then report an empty audit log or export nothing."""
    from sqlalchemy.exc import SQLAlchemyError

    from fireline.core.db import Database

    path = sqlite_file(url)
    if path is not None and not create and not path.exists():
        raise failure(f"no database at {path}")
    db = Database(url)
    try:
        yield db
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise failure(f"cannot use the database: {reason}") from None
    finally:
        db.dispose()


@contextmanager
def output(file: Path) -> Iterator[IO[str]]:
    """Standard output for ``-``; else a file that appears only once it is complete."""
    if str(file) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = file.with_name(file.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            yield out
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def source(file: Path) -> Iterator[IO[str]]:
    if str(file) == "-":
        yield sys.stdin
        return
    if not file.is_file():
        raise Failed(f"no such file: {file}")
    with file.open(encoding="utf-8") as opened_file:
        yield opened_file


@click.command("export")
@click.argument("file", type=FILE_ARGUMENT)
@DATABASE_OPTION
def export_command(file: Path, database_url: str | None) -> None:
    """Write everything fireline stores to FILE (- for standard output)."""
    from fireline.core.archive import ArchiveError, export
    from fireline.core.clock import SystemClock

    with opened(resolve_url(database_url)) as db:
        try:
            with output(file) as out:
                counts = export(db, out, now=SystemClock().now())
        except ArchiveError as exc:
            raise Failed(str(exc)) from None
    where = "standard output" if str(file) == "-" else str(file)
    click.echo(f"exported {sum(counts.values())} rows of {len(counts)} tables to {where}", err=True)


@click.command("import")
@click.argument("file", type=FILE_ARGUMENT)
@DATABASE_OPTION
def import_command(file: Path, database_url: str | None) -> None:
    """Load an archive into an empty database, all or nothing (- reads standard input).

    A database without fireline's tables gets them first; one that holds any
    data is refused."""
    from fireline.core.archive import ArchiveError, import_archive
    from fireline.core.migrate import current_revision, upgrade

    with opened(resolve_url(database_url), create=True) as db:
        if current_revision(db.engine) is None:
            upgrade(db.engine)
        try:
            with source(file) as archive:
                imported = import_archive(db, archive)
        except ArchiveError as exc:
            raise Failed(f"{file}: {exc}; nothing was imported") from None
    click.echo(f"imported {sum(imported.counts.values())} rows into {len(imported.counts)} tables")
    chain = imported.chain
    if not chain.ok:
        raise ChainBroken(
            f"imported, but the audit chain does not verify at record {chain.bad_seq}: "
            f"{chain.reason}"
        )
    click.echo(
        f"audit chain verified: {chain.checked} records, head {chain.head_seq}:{chain.head_hash}"
    )


def register(main: click.Group) -> None:
    main.add_command(export_command)
    main.add_command(import_command)
