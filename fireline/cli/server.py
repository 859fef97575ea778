"""Commands that run fireline itself: ``serve``, ``worker`` and ``db``."""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

import click

from fireline.core.config import Settings, get_settings


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@click.command()
@click.option("--host", default=None, help="Address to listen on [FIRELINE_HOST, 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port to listen on [FIRELINE_PORT, 8000]")
@click.option("--no-worker", is_flag=True, help="Serve only; run `fireline worker` elsewhere")
@click.option("--no-migrate", is_flag=True, help="Do not apply database migrations at start")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the port (alert ingestion scales with them)",
)
def serve(
    host: str | None, port: int | None, no_worker: bool, no_migrate: bool, processes: int
) -> None:
    """Run the API, the web pages and (unless --no-worker) the jobs worker."""
    import uvicorn

    from fireline.plan import PlanError, load_effective_plan
    from fireline.web.app import create_app, served

    settings = get_settings()
    if no_migrate:
        settings = settings.model_copy(update={"migrate_on_start": False})
    setup_logging(settings.log_level)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": False,  # read by the app, past ingestion (fireline.web.app.served)
        # uvicorn's access log writes at INFO: at a higher level every request
        # would only build a record to drop.
        "access_log": settings.log_level.upper() in ("DEBUG", "INFO"),
    }
    if processes > 1:
        try:
            load_effective_plan(settings.plan)  # a clear error here, not in every child
        except PlanError as exc:
            raise click.ClickException(f"the plan file has problems:\n{exc}") from None
        _migrate_once(settings)
        # Each child builds its own app (and jobs worker) from the environment.
        os.environ["FIRELINE_MIGRATE_ON_START"] = "false"
        os.environ[RUN_WORKER_ENV] = "false" if no_worker else "true"
        from fireline.cli import processes as server_processes

        server_processes.run("fireline.cli.server:app_from_environment", processes, options)
        return
    try:
        app = create_app(settings, run_worker=not no_worker)
    except PlanError as exc:
        raise click.ClickException(f"the plan file has problems:\n{exc}") from None
    uvicorn.run(served(app), **options)


RUN_WORKER_ENV = "FIRELINE_SERVE_RUNS_WORKER"


def app_from_environment() -> Any:
    """The app of one `serve --processes N` child."""
    from fireline.web.app import create_app, served

    settings = get_settings()
    setup_logging(settings.log_level)
    return served(create_app(settings, run_worker=os.environ.get(RUN_WORKER_ENV) == "true"))


def _migrate_once(settings: Settings) -> None:
    if not settings.migrate_on_start:
        return
    from fireline.core.db import Database
    from fireline.core.migrate import upgrade

    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
    finally:
        database.dispose()


@click.command()
def worker() -> None:
    """Run the jobs worker alone; any number can share one PostgreSQL."""
    from fireline.core.clock import SystemClock
    from fireline.core.db import Database
    from fireline.core.jobs import doorbell
    from fireline.core.jobs.worker import Worker

    settings = get_settings()
    setup_logging(settings.log_level)
    stop = threading.Event()

    def stopping(*_: object) -> None:
        stop.set()
        doorbell.ring()  # end the worker's wait now, not at its next poll

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stopping)
    db = Database(settings.database_url)
    try:
        Worker(db, SystemClock(), settings).run_forever(stop)
    finally:
        db.dispose()


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    from fireline.core.db import Database
    from fireline.core.migrate import current_revision, upgrade

    database = Database(get_settings().database_url)
    upgrade(database.engine)
    click.echo(f"database at revision {current_revision(database.engine)}")
    database.dispose()


@db.command()
def current() -> None:
    """Print the schema revision and whether migrations are pending."""
    from fireline.core.db import Database
    from fireline.core.migrate import current_revision, head_revision

    database = Database(get_settings().database_url)
    now, head = current_revision(database.engine), head_revision()
    click.echo(
        f"current {now}, latest {head}" + ("" if now == head else " (run `fireline db upgrade`)")
    )
    database.dispose()


def register(main: click.Group) -> None:
    main.add_command(serve)
    main.add_command(worker)
    main.add_command(db)
