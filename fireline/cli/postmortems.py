"""``fireline postmortem`` and ``fireline actions``: post-mortems and the
action items that come out of them, from a terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from fireline.cli.client import api_client, print_rows

ITEM_COLUMNS = ["id", "incident", "title", "owner", "priority", "status", "due_date", "overdue"]


def _show(pm: dict[str, Any]) -> None:
    due = f"  due {pm['due_date']}" if pm["due_date"] and pm["status"] != "published" else ""
    late = "  OVERDUE" if pm["overdue"] else ""
    click.echo(f"{pm['incident']}  {pm['status']}{due}{late}  {pm['title']}")
    for reviewer in pm["reviewers"]:
        comment = f": {reviewer['comment']}" if reviewer["comment"] else ""
        click.echo(f"  reviewer  {reviewer['name']} ({reviewer['decision']}){comment}")
    for finding in pm["blameless"]:
        click.echo(
            f"  blameless  “{finding['sentence']}” ({finding['person']}: {', '.join(finding['words'])})"
        )
    click.echo("")
    click.echo(pm["body"])


@click.group()
def postmortem() -> None:
    """Draft, read and export blameless post-mortems."""


@postmortem.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def draft(ref: str, as_json: bool) -> None:
    """Draft the post-mortem of incident REF from what fireline knows."""
    pm = api_client().post(f"/api/v1/incidents/{ref}/postmortem")
    if as_json:
        click.echo(json.dumps(pm, indent=2))
    else:
        click.echo(f"Drafted the post-mortem of {pm['incident']}, due {pm['due_date']}.")


@postmortem.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def show(ref: str, as_json: bool) -> None:
    """Show the post-mortem of incident REF, with its reviewers and blameless advice."""
    pm = api_client().get(f"/api/v1/incidents/{ref}/postmortem")
    if as_json:
        click.echo(json.dumps(pm, indent=2))
    else:
        _show(pm)


@postmortem.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "pdf"]), default="md", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="file to write; default: Markdown to stdout, PDF to postmortem-REF.pdf",
)
def export(ref: str, fmt: str, output: Path | None) -> None:
    """Export the post-mortem of incident REF as Markdown or PDF."""
    response = api_client().send(
        "GET", f"/api/v1/incidents/{ref}/postmortem/export", params={"format": fmt}
    )
    if output is None and fmt == "md":
        sys.stdout.write(response.text)
        return
    target = output or Path(f"postmortem-{ref.upper()}.{fmt}")
    target.write_bytes(response.content)
    click.echo(f"Wrote {target} ({len(response.content):,} bytes).")


@click.group()
def actions() -> None:
    """Action items across incidents."""


@actions.command("list")
@click.option("--overdue", is_flag=True, help="only open items past their due date")
@click.option("--owner", default=None, help="user id or e-mail")
@click.option("--team", default=None, help="team slug: items its members own")
@click.option("--priority", default=None, type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--status", default="open", show_default=True, help="open, closed, all or a status")
@click.option("--json", "as_json", is_flag=True)
def list_items(
    overdue: bool,
    owner: str | None,
    team: str | None,
    priority: str | None,
    status: str,
    as_json: bool,
) -> None:
    """List action items, soonest due first."""
    rows = api_client().get(
        "/api/v1/action-items",
        status=status,
        overdue="true" if overdue else None,
        owner=owner,
        team=team,
        priority=priority,
    )
    print_rows(rows, ITEM_COLUMNS, as_json)


def register(main: click.Group) -> None:
    main.add_command(postmortem)
    main.add_command(actions)
