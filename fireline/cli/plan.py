"""``fireline plan``: check a plan file and show the plan in effect. No database needed."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from fireline.core.config import get_settings
from fireline.plan import PlanError, load_effective_plan, load_plan_file


@click.group()
def plan() -> None:
    """The incident response plan (fireline.yaml)."""


@plan.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check FILE; print every problem as file:line:column and exit 1 if there are any."""
    try:
        loaded = load_plan_file(file)
    except PlanError as exc:
        for problem in exc.problems:
            click.echo(problem.render(str(file)), err=True)
        raise SystemExit(1) from None
    click.echo(
        f"{file}: valid ({len(loaded.severities)} severities, "
        f"{len(loaded.incident_types)} incident types, {len(loaded.roles)} roles)"
    )


@plan.command()
@click.option("--json", "as_json", is_flag=True)
def show(as_json: bool) -> None:
    """Print the plan in effect: FIRELINE_PLAN over the built-in defaults."""
    path = get_settings().plan
    try:
        effective = load_effective_plan(path)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    data = effective.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"# effective plan: {path or 'built-in defaults'}")
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)


def register(main: click.Group) -> None:
    main.add_command(plan)
