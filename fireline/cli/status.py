"""The status page from a terminal.

fireline status component list [--json]
fireline status component set NAME STATUS
fireline status update REF "message" [--status S] [--component NAME=STATUS ...] [--no-notify]
fireline status incident open "name" "message" [--impact I] [--component NAME=STATUS ...]
fireline maintenance schedule "name" --start T --end T --component NAME ... --message TEXT
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import click

from fireline.cli.client import api_client, print_rows
from fireline.comms.status.models import (
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
)

STATUS = "/api/v1/status"
# INC-42 or 42 is an internal incident; anything else a public incident's code.
INTERNAL_REF = re.compile(r"^(INC-)?\d+$", re.IGNORECASE)
STATUSES = click.Choice(COMPONENT_STATUSES, case_sensitive=False)


def _component_statuses(values: tuple[str, ...]) -> dict[str, str]:
    """``--component NAME=STATUS`` options as the API's {name: status}."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, status = value.rpartition("=")
        status = status.strip().lower()
        if not sep or not name.strip():
            raise click.BadParameter(
                f"expected NAME=STATUS, got {value!r}", param_hint="--component"
            )
        if status not in COMPONENT_STATUSES:
            raise click.BadParameter(
                f"{status!r} is not one of {', '.join(COMPONENT_STATUSES)}",
                param_hint="--component",
            )
        found[name.strip()] = status
    return found


def _utc_time(value: str, option: str) -> str:
    """An ISO time; without an offset it is read as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO time such as 2026-11-23T09:00Z", param_hint=option
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _show(public: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(public, indent=2))
        return
    origin = f"  (from {public['incident']})" if public.get("incident") else ""
    click.echo(f"{public['id']}  {public['status']}  {public['name']}{origin}")
    for component in public["components"]:
        click.echo(f"  {component['name']:<24} {component['status']}")


@click.group("status")
def status_group() -> None:
    """The public status page: components, incidents, updates."""


@status_group.group("component")
def component_group() -> None:
    """Components of the status page and their statuses."""


@component_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def component_list(as_json: bool) -> None:
    """Every component with its status and group."""
    rows = api_client().get(f"{STATUS}/components")
    if not as_json:
        rows = [{**r, "group": (r["group"] or {}).get("name")} for r in rows]
    print_rows(rows, ["name", "status", "group", "services", "id"], as_json)


@component_group.command("set")
@click.argument("name")
@click.argument("status", type=STATUSES, metavar="STATUS")
def component_set(name: str, status: str) -> None:
    """Set component NAME (its name or id) to STATUS: operational,
    degraded_performance, partial_outage, major_outage or under_maintenance."""
    client = api_client()
    # Found by its listing and addressed by code, so that a name with a slash
    # (say "API / EU") cannot be mistaken for a path.
    components = client.get(f"{STATUS}/components")
    wanted = name.strip().lower()
    found = [c for c in components if wanted in (c["name"].lower(), c["id"])]
    if not found:
        known = ", ".join(c["name"] for c in components) or "none yet"
        raise click.ClickException(f"no component {name!r}; the components are: {known}")
    changed = client.put(f"{STATUS}/components/{found[0]['id']}/status", {"status": status.lower()})
    click.echo(f"{changed['name']} is now {changed['status']}")


@status_group.command("update")
@click.argument("ref")
@click.argument("message")
@click.option(
    "--status",
    type=click.Choice(INCIDENT_STATUSES + MAINTENANCE_STATUSES),
    default=None,
    help="default: unchanged (investigating for a first update)",
)
@click.option("--component", "components", multiple=True, help="NAME=STATUS (repeatable)")
@click.option("--no-notify", is_flag=True, help="do not tell the subscribers")
@click.option("--json", "as_json", is_flag=True)
def update(
    ref: str,
    message: str,
    status: str | None,
    components: tuple[str, ...],
    no_notify: bool,
    as_json: bool,
) -> None:
    """Post a public update. REF is an incident (INC-42), whose public
    incident is opened by its first update, or a public incident's id."""
    body = {
        "body": message,
        "status": status,
        "components": _component_statuses(components),
        "notify": not no_notify,
    }
    text = ref.strip()
    if INTERNAL_REF.match(text):
        path = f"/api/v1/incidents/{text.upper()}/public-updates"
    else:
        path = f"{STATUS}/incidents/{quote(text, safe='')}/updates"
    _show(api_client().post(path, body), as_json)


@status_group.group("incident")
def incident_group() -> None:
    """Public incidents written for customers."""


@incident_group.command("open")
@click.argument("name")
@click.argument("message")
@click.option("--impact", type=click.Choice(IMPACTS), default="minor", show_default=True)
@click.option(
    "--status", type=click.Choice(INCIDENT_STATUSES), default="investigating", show_default=True
)
@click.option("--component", "components", multiple=True, help="NAME=STATUS (repeatable)")
@click.option("--no-notify", is_flag=True, help="do not tell the subscribers")
@click.option("--json", "as_json", is_flag=True)
def incident_open(
    name: str,
    message: str,
    impact: str,
    status: str,
    components: tuple[str, ...],
    no_notify: bool,
    as_json: bool,
) -> None:
    """Open a public incident NAME with its first update MESSAGE."""
    body = {
        "name": name,
        "body": message,
        "impact": impact,
        "status": status,
        "components": _component_statuses(components),
        "notify": not no_notify,
    }
    _show(api_client().post(f"{STATUS}/incidents", body), as_json)


@click.group("maintenance")
def maintenance_group() -> None:
    """Scheduled maintenance on the status page."""


@maintenance_group.command("schedule")
@click.argument("name")
@click.option("--start", required=True, help="ISO time; UTC unless it says otherwise")
@click.option("--end", required=True, help="ISO time")
@click.option("--component", "components", multiple=True, required=True, help="repeatable")
@click.option("--message", required=True, help="what customers read")
@click.option("--no-notify", is_flag=True, help="do not tell the subscribers")
@click.option("--json", "as_json", is_flag=True)
def maintenance_schedule(
    name: str,
    start: str,
    end: str,
    components: tuple[str, ...],
    message: str,
    no_notify: bool,
    as_json: bool,
) -> None:
    """Announce maintenance NAME now; it starts and completes at its times."""
    starts, ends = _utc_time(start, "--start"), _utc_time(end, "--end")
    if datetime.fromisoformat(ends) <= datetime.fromisoformat(starts):
        raise click.BadParameter("must come after --start", param_hint="--end")
    body = {
        "name": name,
        "body": message,
        "scheduled_for": starts,
        "scheduled_until": ends,
        "components": list(components),
        "notify": not no_notify,
    }
    made = api_client().post(f"{STATUS}/maintenances", body)
    if as_json:
        _show(made, as_json)
        return
    click.echo(f"{made['id']}  scheduled  {made['name']}")
    click.echo(f"  from {made['scheduled_for']} to {made['scheduled_until']}")
    click.echo(f"  components {', '.join(c['name'] for c in made['components'])}")


def register(main: click.Group) -> None:
    main.add_command(status_group)
    main.add_command(maintenance_group)
