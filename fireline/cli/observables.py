"""Observables and STIX 2.1 bundles from a terminal.

fireline observable add REF --type TYPE --value VALUE [--tlp LEVEL] [--hash ALG]
                            [--description TEXT] [--technique T1566 ...]
fireline observable list REF [--json]
fireline observable remove REF ID [--reason TEXT]
fireline stix export REF [--tlp LEVEL]        (the bundle on stdout)
fireline stix import FILE --incident REF      (what was imported and what was skipped)
"""

from __future__ import annotations

import json
from typing import IO, Any
from urllib.parse import quote

import click

from fireline.cli.client import api_client, print_rows

COLUMNS = ["id", "type", "value", "tlp", "techniques", "seen_in"]


def _incident(ref: str) -> str:
    return f"/api/v1/incidents/{quote(ref, safe='')}"


@click.group()
def observable() -> None:
    """Observables of an incident (addresses, domains, hashes, …) with TLP markings."""


@observable.command("add")
@click.argument("ref")
@click.option(
    "--type",
    "type_",
    required=True,
    help="as STIX names it: ipv4-addr, ipv6-addr, domain-name, url, file, email-addr, "
    "user-account, windows-registry-key, text",
)
@click.option("--value", required=True)
@click.option("--tlp", default=None, help="CLEAR, GREEN, AMBER (default), AMBER+STRICT or RED")
@click.option("--hash", "hash_algorithm", default=None, help="for a file hash: MD5, SHA-1, SHA-256")
@click.option("--description", default=None)
@click.option("--technique", "techniques", multiple=True, help="ATT&CK id, e.g. T1566 (repeatable)")
@click.option("--json", "as_json", is_flag=True)
def add(
    ref: str,
    type_: str,
    value: str,
    tlp: str | None,
    hash_algorithm: str | None,
    description: str | None,
    techniques: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add an observable to incident REF (adding one it has updates it)."""
    body = {
        "type": type_,
        "value": value,
        "tlp": tlp,
        "hash_algorithm": hash_algorithm,
        "description": description,
        "techniques": list(techniques),
    }
    found = api_client().post(f"{_incident(ref)}/observables", body)
    click.echo(json.dumps(found, indent=2) if as_json else f"{ref.upper()}: {found['message']}")


@observable.command("list")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def list_observables(ref: str, as_json: bool) -> None:
    """The observables of incident REF, and the other incidents that have them too."""
    rows: list[dict[str, Any]] = api_client().get(f"{_incident(ref)}/observables")
    if not as_json:
        rows = [
            {
                **row,
                "type": f"{row['type']} {row['hash_algorithm']}"
                if row["hash_algorithm"]
                else row["type"],
                "seen_in": [s["ref"] for s in row["seen_in"]],
            }
            for row in rows
        ]
    print_rows(rows, COLUMNS, as_json)


@observable.command("remove")
@click.argument("ref")
@click.argument("observable_id", type=int)
@click.option("--reason", default="", help="why; kept on the timeline")
def remove(ref: str, observable_id: int, reason: str) -> None:
    """Remove an observable from incident REF (the timeline keeps what it was)."""
    api_client().request(
        "DELETE", f"{_incident(ref)}/observables/{observable_id}", params={"reason": reason}
    )
    click.echo(f"{ref.upper()}: removed observable {observable_id}")


@click.group()
def stix() -> None:
    """STIX 2.1 bundles of an incident's observables."""


@stix.command("export")
@click.argument("ref")
@click.option(
    "--tlp",
    default="AMBER",
    show_default=True,
    help="the ceiling: observables marked above it are left out",
)
def export(ref: str, tlp: str) -> None:
    """Print incident REF's observables as a STIX 2.1 bundle."""
    bundle = api_client().get(f"{_incident(ref)}/stix", tlp=tlp)
    click.echo(json.dumps(bundle, indent=2, ensure_ascii=False))


@stix.command("import")
@click.argument("bundle", type=click.File("rb"))
@click.option("--incident", "ref", required=True, help="the incident to add them to")
def import_bundle(bundle: IO[bytes], ref: str) -> None:
    """Import observables and ATT&CK techniques from a STIX 2.1 bundle (FILE, or - for stdin)."""
    report = api_client().request(
        "POST",
        f"{_incident(ref)}/stix",
        content=bundle.read(),
        headers={"Content-Type": "application/json"},
    )
    click.echo(
        f"{ref.upper()}: {len(report['added'])} added, {len(report['updated'])} updated, "
        f"{report['unchanged']} already there, "
        f"{len(report['techniques_added'])} techniques tagged, {len(report['skipped'])} skipped"
    )
    for row in report["added"]:
        click.echo(f"  added    {_shown(row)}")
    for row in report["updated"]:
        click.echo(f"  updated  {_shown(row)}")
    for technique in report["techniques_added"]:
        click.echo(f"  tagged   {technique}")
    for skipped in report["skipped"]:
        click.echo(f"  skipped  {skipped['id']}: {skipped['reason']}")


def _shown(row: dict[str, Any]) -> str:
    kind = f"{row['type']} {row['hash_algorithm']}" if row["hash_algorithm"] else row["type"]
    return f"{kind} {row['value']} (TLP:{row['tlp']})"


def register(main: click.Group) -> None:
    main.add_command(observable)
    main.add_command(stix)
