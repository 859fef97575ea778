"""``fireline maturity``: the maturity assessment, area by area."""

from __future__ import annotations

import json

import click

from fireline.cli.client import api_client


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def maturity(as_json: bool) -> None:
    """The level of each capability area, its evidence and the next milestones."""
    found = api_client().get("/api/v1/maturity")
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    overall = found["overall"]
    click.echo(f"Overall: level {overall['level']}, {overall['name']} (the weakest area)\n")
    for area in found["areas"]:
        click.echo(f"{area['name']}: level {area['level']}, {area['level_name']}")
        for milestone in area["next_milestones"]:
            click.echo(f"  next: {milestone}")


def register(main: click.Group) -> None:
    main.add_command(maturity)
