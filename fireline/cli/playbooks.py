"""``fireline playbook``: list, show, validate, import and export playbooks.

``validate`` works offline against the plan in effect (FIRELINE_PLAN, or the
built-in one), so a pipeline can check a playbook before anyone imports it;
the others are clients of a running server's API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from fireline.cli.client import api_client, print_rows
from fireline.core.config import get_settings
from fireline.core.errors import AppError
from fireline.plan import PlanError, load_effective_plan
from fireline.playbooks import interchange, library


@click.group()
def playbook() -> None:
    """Response steps per incident type."""


@playbook.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def list_playbooks(as_json: bool) -> None:
    """Every playbook in effect: built-in, from the plan, or stored."""
    rows = api_client().get("/api/v1/playbooks")
    for row in rows:
        row["types"] = ", ".join(row["types"])
    print_rows(rows, ["key", "name", "types", "steps", "origin"], as_json)


@playbook.command()
@click.argument("name")
def show(name: str) -> None:
    """A playbook, readable: each step with its phase, owner and instructions."""
    found = api_client().get(f"/api/v1/playbooks/{quote(name, safe='')}")
    click.echo(f"{found['name']} ({found['key']}, {found['origin']})")
    if found["description"]:
        click.echo(found["description"])
    click.echo(
        f"For: {', '.join(found['types'])}; {', '.join(found['severities']) or 'any severity'}"
    )
    figures = found["figures"]
    click.echo(f"Ran {figures['runs']} times, finished {figures['finished']}.\n")
    for index, step in enumerate(found["steps"], 1):
        click.echo(f"{index}. {step['title']}  [{step['phase']}]")
        details = _details(step)
        if details:
            click.echo(f"   {details}")
        for line in step["instructions"].strip().splitlines():
            click.echo(f"   {line}")
        click.echo()


def _details(step: dict[str, Any]) -> str:
    parts = []
    if step.get("owner_role"):
        parts.append(f"owner: {step['owner_role']}")
    if step.get("after"):
        parts.append(f"after: {', '.join(step['after'])}")
    when = step.get("when") or {}
    if when.get("severities") or when.get("types"):
        parts.append(f"only: {', '.join(when.get('severities', []) + when.get('types', []))}")
    if step.get("approval"):
        parts.append(f"approval: {', '.join(step['approval']['roles'])}")
    if step.get("action"):
        action = step["action"]
        parts.append(f"automated: {action['method']} {action['endpoint']}{action['path']}")
    return " · ".join(parts)


@playbook.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "types",
    multiple=True,
    help="incident type a CACAO playbook is for, when it does not say (repeatable)",
)
def validate(file: Path, types: tuple[str, ...]) -> None:
    """Check FILE (fireline YAML or CACAO 2.0 JSON) against the plan in
    effect; exit 1 on any problem."""
    try:
        plan = load_effective_plan(get_settings().plan)
        text = file.read_text("utf-8")
        imported = interchange.read(text, plan, types=types)
        found = library.load_playbook_text(imported.source, plan, str(file))
    except PlanError as exc:
        for problem in exc.problems:
            click.echo(problem.render(exc.source), err=True)
        raise SystemExit(1) from None
    except AppError as exc:
        field = f" [{exc.field}]" if exc.field else ""
        raise click.ClickException(f"{file}: {exc.message}{field}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from None
    click.echo(f"{file}: valid ({found.key}, {len(found.steps)} steps, {imported.format})")
    for note in imported.notes:
        click.echo(f"  note: {note}")


@playbook.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "types",
    multiple=True,
    help="incident type a CACAO playbook is for, when it does not say (repeatable)",
)
def import_playbook(file: Path, types: tuple[str, ...]) -> None:
    """Store FILE (fireline YAML or CACAO 2.0 JSON) on the server; one with
    the same key is replaced. Prints what a CACAO playbook lost on the way."""
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from None
    found = api_client().post("/api/v1/playbooks/import", {"content": text, "types": list(types)})
    stored = found["playbook"]
    click.echo(f"stored {stored['key']} ({len(stored['steps'])} steps, from {found['format']})")
    for note in found["notes"]:
        click.echo(f"  note: {note}")


@playbook.command()
@click.argument("name")
@click.option(
    "--format",
    "output",
    type=click.Choice(["yaml", "cacao"]),
    default="yaml",
    show_default=True,
    help="fireline YAML, or OASIS CACAO 2.0 JSON",
)
def export(name: str, output: str) -> None:
    """Print a playbook on stdout."""
    response = api_client().send(
        "GET", f"/api/v1/playbooks/{quote(name, safe='')}/export", params={"format": output}
    )
    click.echo(response.text, nl=not response.text.endswith("\n"))


def register(main: click.Group) -> None:
    main.add_command(playbook)
