"""``fireline incident``: declare and run incidents from a terminal."""

from __future__ import annotations

import json
from typing import Any

import click

from fireline.cli.client import api_client, print_rows

COLUMNS = ["ref", "severity", "status", "type", "title", "commander"]


def _row(incident: dict[str, Any]) -> dict[str, Any]:
    commander = incident.get("commander") or {}
    return {**incident, "commander": commander.get("name")}


def _show(incident: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(incident, indent=2))
        return
    click.echo(
        f"{incident['ref']}  {incident['severity']}  {incident['status']}  {incident['title']}"
    )
    commander = incident.get("commander") or {}
    click.echo(
        f"  type       {incident['type']}{'  (restricted)' if incident['restricted'] else ''}"
    )
    click.echo(f"  commander  {commander.get('name', '-')}")
    if incident["services"]:
        click.echo(f"  services   {', '.join(incident['services'])}")
    for role in incident["roles"]:
        if role["role"] != "incident_commander":
            click.echo(f"  {role['role']:<10} {role['user']}")
    for name, at in incident["milestones"].items():
        if at:
            click.echo(f"  {name:<10} {at}")


@click.group()
def incident() -> None:
    """Declare, update and follow incidents."""


@incident.command()
@click.argument("title")
@click.option("--sev", "severity", default=None, help="SEV1…SEV4 or 1…4")
@click.option("--type", "type_", required=True, help="incident type, e.g. outage or service_outage")
@click.option("--service", "services", multiple=True, help="affected service (repeatable)")
@click.option("--summary", default="")
@click.option("--commander", default=None, help="user id or e-mail; default: you")
@click.option("--started-at", default=None, help="ISO-8601 time it started, if earlier than now")
@click.option("--restricted", is_flag=True, help="only participants and admins may see it")
@click.option(
    "--idempotency-key", default=None, help="retrying with the same key never declares twice"
)
@click.option("--json", "as_json", is_flag=True)
def declare(
    title: str,
    severity: str | None,
    type_: str,
    services: tuple[str, ...],
    summary: str,
    commander: str | None,
    started_at: str | None,
    restricted: bool,
    idempotency_key: str | None,
    as_json: bool,
) -> None:
    """Declare an incident."""
    body = {
        "title": title,
        "type": type_,
        "severity": severity,
        "summary": summary,
        "services": list(services),
        "commander": commander,
        "started_at": started_at,
        "restricted": restricted,
    }
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    created = api_client().request("POST", "/api/v1/incidents", json=body, headers=headers)
    _show(created, as_json)


@incident.command("list")
@click.option("--status", default="open", show_default=True, help="open, closed, all, or a state")
@click.option("--sev", "severity", default=None)
@click.option("--type", "type_", default=None)
@click.option("--service", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_incidents(
    status: str,
    severity: str | None,
    type_: str | None,
    service: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List incidents, newest first."""
    rows = api_client().get(
        "/api/v1/incidents",
        status=None if status == "all" else status,
        severity=severity,
        type=type_,
        service=service,
        limit=limit,
    )
    print_rows([_row(r) for r in rows] if not as_json else rows, COLUMNS, as_json)


@incident.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def show(ref: str, as_json: bool) -> None:
    """Show one incident (INC-42 or 42)."""
    _show(api_client().get(f"/api/v1/incidents/{ref}"), as_json)


@incident.command()
@click.argument("ref")
@click.argument("state")
@click.option("--reason", default="")
@click.option("--at", "occurred_at", default=None, help="ISO-8601 time it happened, if earlier")
def status(ref: str, state: str, reason: str, occurred_at: str | None) -> None:
    """Move an incident to another state of its lifecycle."""
    body = {"status": state, "reason": reason, "occurred_at": occurred_at}
    updated = api_client().post(f"/api/v1/incidents/{ref}/status", body)
    click.echo(f"{updated['ref']} is now {updated['status']}")


@incident.command()
@click.argument("ref")
@click.argument("severity")
@click.option("--reason", required=True)
def sev(ref: str, severity: str, reason: str) -> None:
    """Change the severity, with a reason."""
    updated = api_client().post(
        f"/api/v1/incidents/{ref}/severity", {"severity": severity, "reason": reason}
    )
    click.echo(f"{updated['ref']} is now {updated['severity']}")


@incident.command("type")
@click.argument("ref")
@click.argument("incident_type")
@click.option("--reason", required=True)
@click.option(
    "--status", default=None, help="its state in the new lifecycle, when that lacks the current one"
)
def retype(ref: str, incident_type: str, reason: str, status: str | None) -> None:
    """Change the incident's type (e.g. service_outage to ransomware), with a reason."""
    body = {"type": incident_type, "reason": reason, "status": status}
    updated = api_client().post(f"/api/v1/incidents/{ref}/type", body)
    click.echo(f"{updated['ref']} is now {updated['type']}, {updated['status']}")


@incident.command()
@click.argument("ref")
@click.argument("role")
@click.argument("user")
def assign(ref: str, role: str, user: str) -> None:
    """Give ROLE (e.g. incident_commander, scribe) to USER (id or e-mail)."""
    updated = api_client().post(f"/api/v1/incidents/{ref}/roles", {"role": role, "user": user})
    holders = [r["user"] for r in updated["roles"] if r["role"] == role]
    click.echo(f"{updated['ref']}: {role} is {', '.join(holders)}")


@incident.command()
@click.argument("ref")
@click.argument("text")
@click.option("--pin", is_flag=True, help="highlight it on the timeline")
def note(ref: str, text: str, pin: bool) -> None:
    """Add a note (Markdown) to the timeline."""
    api_client().post(f"/api/v1/incidents/{ref}/notes", {"body": text, "pinned": pin})
    click.echo(f"noted on {ref.upper()}")


@incident.command()
@click.argument("ref")
@click.option("--reason", default="")
def resolve(ref: str, reason: str) -> None:
    """Resolve: move to the lifecycle's resolving state (resolved, or post_incident for security)."""
    updated = api_client().post(f"/api/v1/incidents/{ref}/resolve", {"reason": reason})
    click.echo(f"{updated['ref']} is now {updated['status']}")


def register(main: click.Group) -> None:
    main.add_command(incident)
