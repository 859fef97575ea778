"""``fireline plan``: check a plan file and show the plan in effect. No database needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import click
import yaml

from fireline.core.config import get_settings
from fireline.plan import Plan, PlanError, load_effective_plan, load_plan_file


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
        _fail(exc)
    click.echo(
        f"{file}: valid ({len(loaded.severities)} severities, "
        f"{len(loaded.incident_types)} incident types, {len(loaded.lifecycles)} lifecycles, "
        f"{len(loaded.roles)} roles)"
    )


@plan.command()
@click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML")
def show(as_json: bool) -> None:
    """Print the plan in effect: FIRELINE_PLAN over the built-in defaults."""
    path = get_settings().plan
    try:
        effective = load_effective_plan(path)
    except PlanError as exc:
        _fail(exc)
    click.echo(render(effective, as_json=as_json, source=str(path) if path else None), nl=False)


def render(effective: Plan, *, as_json: bool, source: str | None) -> str:
    """The plan as a document that validates back to the same plan."""
    data = effective.model_dump(mode="json")
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    header = f"# effective plan: {source or 'built-in defaults'}\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _fail(exc: PlanError) -> NoReturn:
    for problem in exc.problems:
        click.echo(problem.render(exc.source), err=True)
    raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(plan)
