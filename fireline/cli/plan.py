"""``fireline plan``: check a plan file and show the plan in effect. No database needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

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


@plan.command("render")
@click.option(
    "--format",
    "output",
    type=click.Choice(["md", "pdf"]),
    default="md",
    show_default=True,
    help="Markdown, or a PDF to print and sign",
)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write")
@click.option(
    "--no-database",
    is_flag=True,
    help="from the plan file alone (no escalation paths, stored playbooks or status page)",
)
def render_document(output: str, out: Path | None, no_database: bool) -> None:
    """The response plan as a document, from the running configuration:
    the plan in effect and, unless --no-database, what the database holds."""
    from datetime import UTC, datetime

    from fireline.plan.document import render as render_plan
    from fireline.plan.document import to_pdf

    settings = get_settings()
    try:
        effective = load_effective_plan(settings.plan)
    except PlanError as exc:
        _fail(exc)
    facts = _document_facts(effective, None if no_database else settings.database_url)
    source = str(settings.plan) if settings.plan else "the built-in plan"
    if facts.from_database:
        source += " and the database"
    now = datetime.now(UTC)
    text = render_plan(effective, facts, generated_at=now, source=source)
    if output == "md":
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, "utf-8")
        return
    if out is None:
        raise click.UsageError("a PDF needs a file: --out plan.pdf")
    title = f"{effective.organisation.name}: incident response plan"
    out.write_bytes(
        to_pdf(text, title=title, footer=f"Generated {now:%Y-%m-%d %H:%M} UTC by fireline")
    )
    click.echo(f"wrote {out}")


def _document_facts(effective: Plan, database_url: str | None) -> Any:
    from fireline.core.db import Database
    from fireline.core.migrate import is_current
    from fireline.plan.document_facts import facts_without_database, gather

    if database_url is None:
        return facts_without_database(effective)
    db = Database(database_url)
    try:
        if not is_current(db.engine):
            raise click.ClickException(
                "the database is not at the current schema: run `fireline db upgrade`, "
                "or render with --no-database"
            )
        with db.session() as session:
            return gather(session, effective)
    finally:
        db.dispose()


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
