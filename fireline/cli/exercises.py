"""``fireline exercise``: scenarios, runs and after-action reports.

``validate`` works offline against the plan in effect (FIRELINE_PLAN, or the
built-in one); the others are clients of a running server's API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from fireline.cli.client import api_client, print_rows
from fireline.core.config import get_settings
from fireline.exercises import library
from fireline.plan import PlanError, load_effective_plan


@click.group()
def exercise() -> None:
    """Tabletop and game-day exercises with timed injects."""


@exercise.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def list_exercises(as_json: bool) -> None:
    """The scenarios in effect, and the runs so far."""
    client = api_client()
    scenarios = client.get("/api/v1/exercises/scenarios")
    runs = client.get("/api/v1/exercises/runs")
    if as_json:
        click.echo(json.dumps({"scenarios": scenarios, "runs": runs}, indent=2))
        return
    click.echo("Scenarios:")
    for row in scenarios:
        row["injects"] = len(row["injects"])
    print_rows(scenarios, ["key", "name", "kind", "injects", "duration_minutes", "origin"], False)
    click.echo("\nRuns:")
    for row in runs:
        row["incident"] = row["incident"]["ref"]
        row["delivered"] = sum(1 for i in row["injects"] if i["delivered_at"])
        row["state"] = "ended" if row["finished_at"] else "running"
    print_rows(runs, ["id", "scenario", "incident", "started_at", "delivered", "state"], False)


@exercise.command()
@click.argument("scenario")
@click.option(
    "--notify", is_flag=True, help="let the exercise reach real people (pages, e-mails, chat)"
)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def run(scenario: str, notify: bool, as_json: bool) -> None:
    """Start SCENARIO: open its exercise incident and schedule its injects."""
    started = api_client().post("/api/v1/exercises/runs", {"scenario": scenario, "notify": notify})
    if as_json:
        click.echo(json.dumps(started, indent=2))
        return
    incident = started["incident"]
    click.echo(f"Exercise run {started['id']} started: {incident['ref']} {incident['title']}")
    click.echo(f"Real notifications: {'on' if started['notify'] else 'off'}")
    for inject in started["injects"]:
        click.echo(f"  {inject['due_at']}  {inject['kind']:<8}  {inject['summary'][:90]}")


@exercise.command()
@click.argument("run_id", type=click.IntRange(min=1))
@click.option(
    "--format", "fmt", type=click.Choice(["md", "json", "pdf"]), default="md", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="write it to a file"
)
def report(run_id: int, fmt: str, output: Path | None) -> None:
    """The after-action report of run RUN_ID (a PDF needs --output)."""
    client = api_client()
    if fmt == "pdf" or output is not None:
        if output is None:
            raise click.UsageError("a PDF goes to a file: give --output report.pdf")
        path = f"/api/v1/exercises/runs/{run_id}/report"
        response = client.send("GET", path, params={"format": fmt})
        output.write_bytes(response.content)
        click.echo(f"wrote {output} ({len(response.content):,} bytes)")
        return
    if fmt == "md":
        response = client.send(
            "GET", f"/api/v1/exercises/runs/{run_id}/report", params={"format": "md"}
        )
        click.echo(response.text, nl=False)
        return
    click.echo(json.dumps(client.get(f"/api/v1/exercises/runs/{run_id}/report"), indent=2))


@exercise.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a scenario file against the plan in effect, offline."""
    plan = load_effective_plan(get_settings().plan)
    try:
        scenario = library.load_scenario_text(file.read_text("utf-8"), plan, str(file))
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{file}: {scenario.key} is valid ({len(scenario.injects)} injects)")


@exercise.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def upload(file: Path) -> None:
    """Store a scenario on the server (admins); one with the same key is replaced."""
    stored: dict[str, Any] = api_client().post(
        "/api/v1/exercises/scenarios", {"source": file.read_text("utf-8")}
    )
    click.echo(f"stored {stored['key']} ({len(stored['injects'])} injects)")


@exercise.command()
@click.argument("key")
def show(key: str) -> None:
    """A scenario as YAML."""
    found = api_client().get(f"/api/v1/exercises/scenarios/{quote(key, safe='')}")
    click.echo(found["source"], nl=False)


def register(main: click.Group) -> None:
    main.add_command(exercise)
