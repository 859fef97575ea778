"""Where alerts come from, from a terminal: ``fireline service`` keeps the
service catalogue, ``fireline integration`` gives each monitoring source its
key, URL and setup snippet (alerts themselves are in ``fireline.cli.alerts``).
"""

from __future__ import annotations

from typing import Any

import click

from fireline.cli.client import api_client, echo_json, print_rows

SERVICE_COLUMNS = ["slug", "name", "owner_team", "tier", "runbook_url"]
INTEGRATION_COLUMNS = ["id", "service", "kind", "name", "key_hint", "group_by", "state"]
KINDS = ("alertmanager", "grafana", "pagerduty", "generic", "heartbeat", "change")


# --- services --------------------------------------------------------------------------


@click.group("service")
def service_group() -> None:
    """The service catalogue: what alerts and incidents are about."""


@service_group.command("create")
@click.argument("slug", metavar="NAME")
@click.option("--name", "display", default=None, help="display name; default: NAME")
@click.option("--team", default=None, help="owning team's slug")
@click.option("--tier", type=click.IntRange(1, 4), default=2, show_default=True)
@click.option("--runbook", default="", help="runbook URL")
@click.option("--description", default="")
@click.option("--json", "as_json", is_flag=True)
def service_create(
    slug: str,
    display: str | None,
    team: str | None,
    tier: int,
    runbook: str,
    description: str,
    as_json: bool,
) -> None:
    """Create a service; NAME is its short name (slug), e.g. checkout."""
    created = api_client().post(
        "/api/v1/services",
        {
            "slug": slug,
            "name": display or slug,
            "owner_team": team,
            "tier": tier,
            "runbook_url": runbook,
            "description": description,
        },
    )
    if as_json:
        echo_json(created)
        return
    click.echo(f"service {created['slug']} ({created['name']}, tier {created['tier']}) created")


@service_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def service_list(as_json: bool) -> None:
    """List services."""
    print_rows(api_client().get("/api/v1/services"), SERVICE_COLUMNS, as_json)


# --- integrations ----------------------------------------------------------------------


@click.group("integration")
def integration_group() -> None:
    """Integrations: one key per monitoring source and service."""


def _print_key(created: dict[str, Any], verb: str) -> None:
    click.echo(
        f"integration {created['id']} ({created['kind']}, {created['name']}) {verb} "
        f"for service {created['service']}"
    )
    click.echo(f"  ingestion URL  {created['ingestion_url']}")
    click.echo(f"  key            {created['key']}")
    click.echo("  The key is shown only now: store it in the sending system.\n")
    click.echo(created["snippet"].rstrip("\n"))


@integration_group.command("create")
@click.option("--service", required=True, help="the service's slug or id")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--name", default="", help="default: '<service> <kind>'")
@click.option(
    "--group-by",
    default="",
    metavar="LABEL,LABEL",
    help="labels whose values group alerts; default: the source's own grouping",
)
@click.option(
    "--auto-resolve",
    type=click.IntRange(min=1),
    default=None,
    metavar="MINUTES",
    help="resolve alerts not seen again for this long",
)
@click.option("--period", type=click.IntRange(min=1), default=None, help="heartbeat: seconds")
@click.option("--grace", type=click.IntRange(min=0), default=None, help="heartbeat: seconds")
@click.option("--json", "as_json", is_flag=True)
def integration_create(
    service: str,
    kind: str,
    name: str,
    group_by: str,
    auto_resolve: int | None,
    period: int | None,
    grace: int | None,
    as_json: bool,
) -> None:
    """Create an integration; prints its ingestion URL, its key (once) and how to set it up."""
    if kind != "heartbeat" and (period is not None or grace is not None):
        raise click.UsageError("--period and --grace are for --kind heartbeat")
    body: dict[str, Any] = {
        "service": service,
        "kind": kind,
        "name": name,
        "group_by": [label.strip() for label in group_by.split(",") if label.strip()],
        "auto_resolve_minutes": auto_resolve,
    }
    if kind == "heartbeat":
        body["heartbeat_period_seconds"] = period
        body["heartbeat_grace_seconds"] = grace
    created = api_client().post("/api/v1/integrations", body)
    if as_json:
        echo_json(created)
        return
    _print_key(created, "created")


@integration_group.command("list")
@click.option("--service", default=None, help="only this service's")
@click.option("--json", "as_json", is_flag=True)
def integration_list(service: str | None, as_json: bool) -> None:
    """List integrations (keys show only their last four characters)."""
    rows = api_client().get("/api/v1/integrations", service=service)
    if not as_json:
        rows = [{**row, "state": "revoked" if row.get("revoked_at") else "active"} for row in rows]
    print_rows(rows, INTEGRATION_COLUMNS, as_json)


@integration_group.command("rotate")
@click.argument("integration_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
def integration_rotate(integration_id: int, as_json: bool) -> None:
    """Give an integration a new key; the old one stops working at once."""
    rotated = api_client().post(f"/api/v1/integrations/{integration_id}/rotate")
    if as_json:
        echo_json(rotated)
        return
    _print_key(rotated, "has a new key")


@integration_group.command("revoke")
@click.argument("integration_id", metavar="ID", type=int)
def integration_revoke(integration_id: int) -> None:
    """Revoke an integration: its key is refused from now on."""
    revoked = api_client().post(f"/api/v1/integrations/{integration_id}/revoke")
    click.echo(
        f"integration {revoked['id']} ({revoked['name']}) revoked; "
        "its senders now get 404 unknown_key"
    )


def register(main: click.Group) -> None:
    main.add_command(service_group)
    main.add_command(integration_group)
