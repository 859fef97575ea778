"""``fireline obligations``: regulatory notification deadlines from a terminal.

fireline obligations list [--json]
fireline obligations show REF [--json]
fireline obligations presets [--json]
fireline obligations attach REF KEY --reason TEXT [--trigger-at TIME] [--condition KEY=yes|no ...]
fireline obligations submit REF KEY STAGE --to AUTHORITY [--at TIME] [--reference R] [--document FILE] [--note TEXT]
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from fireline.cli.client import api_client, print_rows

COLUMNS = ["due_at", "left", "state", "incident", "obligation", "stage"]
YES = {"yes": True, "true": True, "no": False, "false": False}


def _moment(value: str, option: str) -> str:
    """``now``, or an ISO time with its offset: a regulator counts from a moment."""
    if value.strip().lower() == "now":
        return datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO time such as 2026-03-02T09:30+01:00, or now", param_hint=option
        ) from None
    if parsed.tzinfo is None:
        raise click.BadParameter(
            "add the time zone, e.g. 2026-03-02T09:30+01:00 or 2026-03-02T08:30Z",
            param_hint=option,
        )
    return parsed.isoformat()


def _left(seconds: int) -> str:
    minutes = abs(seconds) // 60
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    text = f"{days}d {hours}h" if days else (f"{hours}h {mins}m" if hours else f"{mins}m")
    return f"-{text}" if seconds < 0 else text


def _conditions(values: tuple[str, ...]) -> dict[str, bool]:
    found = {}
    for value in values:
        key, sep, answer = value.partition("=")
        if not sep or answer.strip().lower() not in YES:
            raise click.BadParameter(
                f"expected KEY=yes or KEY=no, got {value!r}", param_hint="--condition"
            )
        found[key.strip()] = YES[answer.strip().lower()]
    return found


def _path(ref: str, *rest: str) -> str:
    return "/".join(
        [f"/api/v1/incidents/{quote(ref, safe='')}", *(quote(p, safe="") for p in rest)]
    )


def _print_obligation(item: dict[str, Any]) -> None:
    click.echo(f"{item['key']}  {item['name']}  (starts when: {item['trigger']})")
    for moment in item["moments"]:
        at = moment["at"] or "not recorded"
        click.echo(f"  {moment['name']}: {at}")
    for stage in item["stages"]:
        line = f"  - {stage['key']:<16} {stage['state']:<15} due {stage['due_at'] or '-'}"
        submission = stage["submission"]
        if submission:
            line += f"  sent {submission['submitted_at']} to {submission['authority']}"
            if submission["reference"]:
                line += f" ({submission['reference']})"
        click.echo(line)


@click.group("obligations")
def obligations_group() -> None:
    """Notification obligations: open deadlines, attach, record submissions."""


@obligations_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_deadlines(as_json: bool) -> None:
    """Every open deadline across the incidents you may see, soonest first."""
    rows = api_client().get("/api/v1/obligations")
    if not as_json:
        rows = [
            {
                **row,
                "left": _left(row["seconds_left"]),
                "obligation": row["obligation_name"],
                "stage": row["stage_name"],
            }
            for row in rows
        ]
    print_rows(rows, COLUMNS, as_json)


@obligations_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def show(ref: str, as_json: bool) -> None:
    """An incident's obligations, their clocks and submissions."""
    data = api_client().get(_path(ref, "obligations"))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for item in data["obligations"]:
        _print_obligation(item)
    for suggestion in data["suggestions"]:
        click.echo(f"suggested: {suggestion['key']}  {suggestion['name']}")
    if not data["obligations"] and not data["suggestions"]:
        click.echo("(none)")


@obligations_group.command("presets")
@click.option("--json", "as_json", is_flag=True)
def presets(as_json: bool) -> None:
    """The obligations an incident may attach: presets and the plan's own."""
    rows = api_client().get("/api/v1/obligations/presets")
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    print_rows(rows, ["key", "name", "trigger", "origin"], False)


@obligations_group.command("attach")
@click.argument("ref")
@click.argument("key")
@click.option("--reason", required=True, help="why it applies")
@click.option(
    "--trigger-at", default=None, help="when the trigger happened: ISO time with offset, or now"
)
@click.option("--condition", "conditions", multiple=True, help="KEY=yes|no (repeatable)")
def attach(
    ref: str, key: str, reason: str, trigger_at: str | None, conditions: tuple[str, ...]
) -> None:
    """Attach obligation KEY (e.g. gdpr) to incident REF."""
    body: dict[str, Any] = {"key": key, "reason": reason, "conditions": _conditions(conditions)}
    if trigger_at:
        body["trigger_at"] = _moment(trigger_at, "--trigger-at")
    item = api_client().post(_path(ref, "obligations"), body)
    _print_obligation(item)


@obligations_group.command("submit")
@click.argument("ref")
@click.argument("key")
@click.argument("stage")
@click.option("--to", "authority", required=True, help="the authority or recipient")
@click.option(
    "--at",
    "at",
    default="now",
    show_default=True,
    help="when it was sent: ISO time with offset, or now",
)
@click.option("--reference", default="", help="their reference number")
@click.option(
    "--document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="the document sent; kept with its SHA-256",
)
@click.option("--note", default="")
def submit(
    ref: str,
    key: str,
    stage: str,
    authority: str,
    at: str,
    reference: str,
    document: Path | None,
    note: str,
) -> None:
    """Record that STAGE of obligation KEY on incident REF went out."""
    client = api_client()
    body: dict[str, Any] = {
        "stage": stage,
        "at": _moment(at, "--at"),
        "authority": authority,
        "reference": reference,
        "note": note,
    }
    if document is not None:
        with document.open("rb") as handle:
            uploaded = client.request(
                "POST",
                _path(ref, "obligation-documents"),
                params={"filename": document.name},
                content=handle,
                headers={"Content-Type": "application/octet-stream"},
            )
        body["document_sha256"] = uploaded["sha256"]
        click.echo(f"uploaded {document.name}: sha256 {uploaded['sha256']}")
    item = client.post(_path(ref, "obligations", key, "submissions"), body)
    _print_obligation(item)


def register(main: click.Group) -> None:
    main.add_command(obligations_group)
