"""``fireline jobs``: the jobs table as the server sees it."""

from __future__ import annotations

import click

from fireline.cli.client import api_client, print_rows

COLUMNS = ["id", "kind", "state", "attempts", "due_at", "last_error"]


@click.group()
def jobs() -> None:
    """Outbound messages and timers waiting in the jobs table."""


@jobs.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "done", "dead"]))
@click.option("--kind", default=None)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_jobs(state: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """List jobs, newest first, with counts by state."""
    client = api_client()
    rows = client.get("/api/v1/jobs", state=state, kind=kind, limit=limit)
    print_rows(rows, COLUMNS, as_json)
    if not as_json:
        counts = client.get("/api/v1/jobs/counts")
        click.echo("  ".join(f"{name}: {count}" for name, count in counts.items()), err=True)


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Put a dead job back in the queue with a fresh set of attempts."""
    job = api_client().post(f"/api/v1/jobs/{job_id}/retry")
    click.echo(f"job {job['id']} ({job['kind']}) queued again")


def register(main: click.Group) -> None:
    main.add_command(jobs)
