"""``fireline demo``: create (or refresh) the demo organisation in the configured database."""

from __future__ import annotations

import click

from fireline.core.config import get_settings


@click.command()
def demo() -> None:
    """Create the demo organisation and print how to sign in and use the CLI."""
    from fireline.core.clock import SystemClock
    from fireline.core.db import Database
    from fireline.core.migrate import upgrade
    from fireline.demo import seed
    from fireline.plan import load_effective_plan

    settings = get_settings()
    db = Database(settings.database_url)
    upgrade(db.engine)
    with db.transaction() as session:
        login = seed(
            session,
            now=SystemClock().now(),
            password=settings.demo_password.get_secret_value(),
            plan=load_effective_plan(settings.plan),
        )
    db.dispose()
    url = settings.base_url or f"http://{settings.host}:{settings.port}"
    state = "created" if login.created else "already there; issued a fresh CLI token"
    click.echo(f"\nfireline demo organisation {state}.")
    click.echo(f"  Open      {url}")
    click.echo(f"  Sign in   {login.email} / {login.password}")
    click.echo("  CLI       in another terminal, paste:")
    click.echo(f"    export FIRELINE_URL={url}")
    click.echo(f"    export FIRELINE_TOKEN={login.token}\n")


def register(main: click.Group) -> None:
    main.add_command(demo)
