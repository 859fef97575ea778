"""``fireline evidence``: register, list, verify and hand on evidence from a terminal.

Files stream to the server a megabyte at a time with their length declared,
so a disk image is never read into memory and a too-large one is refused
before it is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx

from fireline.cli.client import api_client, describe_error, print_rows

CHUNK = 1024 * 1024
# Uploads and checks of large files take as long as the disks need: no read timeout.
SLOW = httpx.Timeout(30, read=None)
SOURCES = ("host", "serial", "account", "cloud")
KINDS = ("transferred", "checked_out", "checked_in", "copied", "analysed", "returned", "destroyed")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _sources(values: tuple[str, ...]) -> dict[str, str]:
    """``--source host=web-1 --source serial=C02X``; a bare value is the host."""
    found: dict[str, str] = {}
    for value in values:
        kind, sep, text = value.partition("=")
        if not sep:
            kind, text = "host", value
        if kind not in SOURCES:
            raise click.BadParameter(
                f"{kind!r}: expected one of {', '.join(SOURCES)} (e.g. host=web-1)",
                param_hint="--source",
            )
        found[kind] = text.strip()
    return found


def _hashes(values: tuple[str, ...]) -> dict[str, str]:
    """``--hash sha256:ab12…`` (what the collector measured, for external items)."""
    found: dict[str, str] = {}
    for value in values:
        algorithm, sep, digest = value.partition(":")
        if not sep or algorithm.lower() not in ("sha256", "sha1", "md5"):
            raise click.BadParameter(
                "expected sha256:HEX, sha1:HEX or md5:HEX", param_hint="--hash"
            )
        found[algorithm.lower()] = digest.strip()
    return found


def _item_line(item: dict[str, Any]) -> str:
    state = item["custody_state"]
    held = item["file_name"] if item["origin"] == "upload" else "external"
    where = state["custodian"] + (f" @ {state['location']}" if state["location"] else "")
    if state["checked_out_by"]:
        where += f" (out to {state['checked_out_by']})"
    if state["ended"]:
        where += f" ({state['ended']})"
    return f"{item['ref']:<7} {item['label']:<12} {item['type']:<16} {held:<24} {where}"


@click.group()
def evidence() -> None:
    """Evidence under chain of custody (admins and security roles only)."""


@evidence.command()
@click.argument("ref")
@click.option("--file", "file_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--describe", "description", default="", help="what the item is (required without --file)"
)
@click.option("--type", "type_", default=None, help="disk image, memory dump, laptop, …")
@click.option("--label", default="", help="short, per incident (default E1, E2, …)")
@click.option("--source", "sources", multiple=True, help="host=…, serial=…, account=…, cloud=…")
@click.option("--collected-by", default="", help="default: you")
@click.option("--collected-at", default=None, help="ISO 8601, e.g. 2026-03-02T09:30:00+01:00")
@click.option(
    "--tz", "collected_tz", default="", help="the collector's time zone, e.g. Europe/Berlin"
)
@click.option("--tool", default="", help="the tool that made it, e.g. 'FTK Imager'")
@click.option("--tool-version", default="")
@click.option("--location", default="", help="where the item (or the original) is kept")
@click.option("--legal-hold", is_flag=True)
@click.option("--retain-until", default=None, help="YYYY-MM-DD")
@click.option("--md5", is_flag=True, help="uploads: also compute MD5")
@click.option("--sha1", is_flag=True, help="uploads: also compute SHA-1")
@click.option("--hash", "hashes", multiple=True, help="external items: sha256:HEX as measured")
@click.option("--json", "as_json", is_flag=True)
def add(
    ref: str,
    file_path: Path | None,
    description: str,
    type_: str | None,
    label: str,
    sources: tuple[str, ...],
    collected_by: str,
    collected_at: str | None,
    collected_tz: str,
    tool: str,
    tool_version: str,
    location: str,
    legal_hold: bool,
    retain_until: str | None,
    md5: bool,
    sha1: bool,
    hashes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Register evidence on incident REF: upload a --file, or --describe an external item."""
    if file_path is None and not description.strip():
        raise click.UsageError(
            "give --file PATH to upload, or --describe TEXT for an external item"
        )
    source = _sources(sources)
    api = api_client()
    common: dict[str, Any] = {
        "label": label,
        "collected_by": collected_by,
        "collected_at": collected_at,
        "collected_tz": collected_tz,
        "tool": tool,
        "tool_version": tool_version,
        "storage_location": location,
        "legal_hold": legal_hold,
        "retain_until": retain_until,
    }
    if file_path is not None:
        if hashes:
            raise click.UsageError(
                "fireline computes an upload's hashes; use --sha1/--md5 for more"
            )
        params = {
            **common,
            "type": type_ or "file",
            "description": description,
            "filename": file_path.name,
            **{f"source_{k}": v for k, v in source.items()},
            "sha1": sha1,
            "md5": md5,
        }
        size = file_path.stat().st_size
        item = api.request(
            "POST",
            f"/api/v1/incidents/{ref}/evidence/upload",
            params={k: v for k, v in params.items() if v not in (None, "", False)},
            content=_file_chunks(file_path),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            timeout=SLOW,
        )
    else:
        if md5 or sha1:
            raise click.UsageError("--md5 and --sha1 compute an upload's hashes; use --hash here")
        body = {
            **common,
            "type": type_ or "other",
            "description": description,
            "source": source,
            "hashes": _hashes(hashes),
        }
        item = api.post(f"/api/v1/incidents/{ref}/evidence", body)
    if as_json:
        click.echo(json.dumps(item, indent=2))
        return
    click.echo(f"{item['ref']} ({item['label']}) registered on {item['incident']}")
    if item["hashes"]["sha256"]:
        click.echo(f"  sha256  {item['hashes']['sha256']}")
    for algorithm in ("sha1", "md5"):
        if item["hashes"][algorithm]:
            click.echo(f"  {algorithm:<7} {item['hashes'][algorithm]}")
    if item["size"] is not None:
        click.echo(f"  size    {item['size']:,} bytes")


@evidence.command("list")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def list_evidence(ref: str, as_json: bool) -> None:
    """List incident REF's evidence (others learn only how many items there are)."""
    found = api_client().get(f"/api/v1/incidents/{ref}/evidence")
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found["visible"]:
        click.echo(
            f"{found['incident']} has {found['count']} evidence item(s); "
            f"only {', '.join(found['who_may_see'])} may see them"
        )
        return
    rows = [
        {
            "ref": i["ref"],
            "label": i["label"],
            "type": i["type"],
            "held": i["file_name"] if i["origin"] == "upload" else "external",
            "custodian": i["custody_state"]["custodian"],
            "sha256": (i["hashes"]["sha256"] or "")[:16],
        }
        for i in found["items"]
    ]
    print_rows(rows, ["ref", "label", "type", "held", "custodian", "sha256"], False)


@evidence.command()
@click.option("--incident", "incident_ref", default=None, help="only this incident's items")
@click.option("--json", "as_json", is_flag=True)
def verify(incident_ref: str | None, as_json: bool) -> None:
    """Hash every evidence file you may see again; exit 1 if any no longer matches."""
    result = api_client().request(
        "GET",
        "/api/v1/evidence/verify",
        params={"incident": incident_ref} if incident_ref else None,
        timeout=SLOW,
    )
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        for item in result["items"]:
            if item["problem"]:
                click.echo(
                    f"{item['item']} ({item['label']}, {item['incident']}): {item['problem']}"
                )
        click.echo(
            f"{result['checked']} file(s) checked, {result['failed']} no longer match"
            + (
                f"; {result['external']} external item(s) are held elsewhere"
                if result["external"]
                else ""
            )
        )
    if result["failed"]:
        raise SystemExit(1)


@evidence.command("custody")
@click.argument("item")
@click.option("--incident", "incident_ref", default=None, help="the incident, when ITEM is a label")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="record this event")
@click.option("--by", default="", help="who did it (default: you)")
@click.option("--to", default="", help="the new custodian, or the owner it went back to")
@click.option("--location", default="")
@click.option("--purpose", default="")
@click.option("--at", "occurred_at", default=None, help="ISO 8601 time, if earlier than now")
@click.option("--hash", "sha256", default=None, help="external items: the SHA-256 you measured")
@click.option("--json", "as_json", is_flag=True)
def custody_command(
    item: str,
    incident_ref: str | None,
    kind: str | None,
    by: str,
    to: str,
    location: str,
    purpose: str,
    occurred_at: str | None,
    sha256: str | None,
    as_json: bool,
) -> None:
    """Show ITEM's custody trail (EV-12), or add to it with --kind."""
    api = api_client()
    if incident_ref is None:
        incident_ref = api.get(f"/api/v1/evidence/{item}")["incident"]
    path = f"/api/v1/incidents/{incident_ref}/evidence/{item}/custody"
    if kind is not None:
        body = {
            "kind": kind,
            "by": by,
            "to": to,
            "location": location,
            "purpose": purpose,
            "occurred_at": occurred_at,
            "sha256": sha256,
        }
        added = api.request("POST", path, json=body, timeout=SLOW)
        if as_json:
            click.echo(json.dumps(added, indent=2))
            return
        click.echo(f"{item}: #{added['seq']} {added['kind'].replace('_', ' ')} recorded")
        if added["hash_matches"] is False or (
            added["hash_source"] == "computed" and not added["sha256"]
        ):
            click.echo("  warning: the hash taken at this event does not match the recorded one")
        return
    trail = api.get(path)
    if as_json:
        click.echo(json.dumps(trail, indent=2))
        return
    for event in trail:
        click.echo(_trail_line(event))


def _trail_line(event: dict[str, Any]) -> str:
    line = f"#{event['seq']:<3} {event['occurred_at']}  {event['kind'].replace('_', ' '):<12} by {event['by']}"
    moved = " -> ".join(p for p in (event["from"], event["to"]) if p)
    if moved:
        line += f" ({moved})"
    if event["location"]:
        line += f" @ {event['location']}"
    if event["purpose"]:
        line += f": {event['purpose']}"
    if event["hash_source"]:
        verdict = "DIFFERS" if event["hash_matches"] is False else "ok"
        if event["hash_source"] == "computed" and not event["sha256"]:
            verdict = "FILE MISSING"
        line += f"  [{event['hash_source']} hash {verdict}]"
    return line


@evidence.command()
@click.argument("item")
@click.option("--incident", "incident_ref", default=None, help="the incident, when ITEM is a label")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="where to write it (default: its file name here)",
)  # fmt: skip
def download(item: str, incident_ref: str | None, output: Path | None) -> None:
    """Download an uploaded item; fireline checks its hash before and while sending."""
    api = api_client()
    if incident_ref is None:
        incident_ref = api.get(f"/api/v1/evidence/{item}")["incident"]
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    path = f"/api/v1/incidents/{incident_ref}/evidence/{item}/download"
    partial: Path | None = None
    try:
        with (
            httpx.Client(base_url=api.url, headers=headers, timeout=SLOW) as http,
            http.stream("GET", path) as response,
        ):
            if response.status_code >= 400:
                response.read()
                raise click.ClickException(describe_error(response))
            target = output or Path(_attachment_name(response) or f"{item}.bin")
            partial = target.with_name(target.name + ".part")
            digest = hashlib.sha256()
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            expected = response.headers.get("x-evidence-sha256", "")
        if digest.hexdigest() != expected:
            raise click.ClickException(
                f"what arrived hashes to {digest.hexdigest()}, not {expected}; not kept"
            )
        os.replace(partial, target)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"the download broke off: {exc}") from None
    finally:
        if partial is not None and partial.exists():
            partial.unlink()
    click.echo(f"{target} ({target.stat().st_size:,} bytes, sha256 {expected}, checked)")


def _attachment_name(response: httpx.Response) -> str:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "filename":
            return Path(value.strip('"')).name
    return ""


def register(main: click.Group) -> None:
    main.add_command(evidence)
