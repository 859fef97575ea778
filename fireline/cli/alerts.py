"""Alerting from a terminal: alerts, silences, changes.

``fireline alert send`` raises an alert by hand (as a person with a token,
or as any monitoring tool would, with an integration key); ``fireline alerts``
follows the groups they make; ``fireline silence`` keeps matching alerts
quiet; ``fireline changes`` lists the deploys beside them.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import httpx

from fireline.cli.client import api_client, echo_json, print_rows

GROUP_COLUMNS = ["ref", "status", "severity", "service", "alerts", "title", "created_at"]
SILENCE_COLUMNS = ["id", "state", "matchers", "ends_at", "created_by", "comment"]
CHANGE_COLUMNS = ["at", "service", "kind", "summary", "source"]
SEVERITIES = ("critical", "error", "warning", "info")
GROUP_STATUSES = ("open", "triggered", "acknowledged", "resolved", "silenced", "all")
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.I)
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _when(value: Any) -> str:
    """An API timestamp, shortened for a table: 2026-03-02 09:15:00."""
    if not isinstance(value, str):
        return "-"
    return value.replace("T", " ")[:19]


# --- sending an alert ------------------------------------------------------------------


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected name=value, got {pair!r}", param_hint="--label")
        labels[name.strip()] = value
    return labels


@click.group("alert")
def alert_group() -> None:
    """Raise, acknowledge or resolve an alert by hand."""


@alert_group.command("send")
@click.option("--service", default=None, help="send as yourself (FIRELINE_TOKEN) to this service")
@click.option(
    "--key",
    default=None,
    help="or send as monitoring does: a PagerDuty-kind integration key, no token needed",
)
@click.option("--summary", default=None, help="what is wrong (required to trigger)")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@click.option("--dedup-key", default=None, help="the same key updates, acknowledges or resolves")
@click.option("--resolve", is_flag=True, help="resolve the alert with --dedup-key")
@click.option("--acknowledge", is_flag=True, help="acknowledge the alert with --dedup-key")
@click.option("--source", default=None, help="where it happened; default: this host's name")
@click.option("--label", "label_pairs", multiple=True, metavar="NAME=VALUE", help="repeatable")
def alert_send(
    service: str | None,
    key: str | None,
    summary: str | None,
    severity: str,
    dedup_key: str | None,
    resolve: bool,
    acknowledge: bool,
    source: str | None,
    label_pairs: tuple[str, ...],
) -> None:
    """Send an alert event: trigger (the default), --acknowledge or --resolve."""
    if (service is None) == (key is None):
        raise click.UsageError("give either --service (with a token) or --key (an integration key)")
    if resolve and acknowledge:
        raise click.UsageError("--resolve and --acknowledge cannot be combined")
    action = "resolve" if resolve else "acknowledge" if acknowledge else "trigger"
    if action != "trigger" and not dedup_key:
        raise click.UsageError(f"to {action}, give the alert's --dedup-key")
    if action == "trigger" and not (summary and summary.strip()):
        raise click.UsageError("--summary is required to trigger an alert")
    labels = _labels(label_pairs)
    source = source or socket.gethostname() or "fireline-cli"
    if key is not None:
        sent_key = _send_with_key(key, action, summary, severity, dedup_key, source, labels)
        where = "the integration"
    else:
        assert service is not None
        body = {
            "service": service,
            "summary": (summary or f"{action}d from the command line").strip(),
            "severity": severity,
            "action": action,
            "dedup_key": dedup_key,
            "source": source,
            "labels": labels,
        }
        sent_key = api_client().post("/api/v1/alerts", body)["dedup_key"]
        where = service
    past = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}[action]
    click.echo(f"alert {past} on {where}; dedup key {sent_key}")
    if action == "trigger":
        target = f"--service {service}" if service else "--key …"
        click.echo(
            f"  resolve it with: fireline alert send {target} --dedup-key {sent_key} --resolve"
        )


PAGERDUTY_FIELDS = ("component", "group", "class")


def _send_with_key(
    key: str,
    action: str,
    summary: str | None,
    severity: str,
    dedup_key: str | None,
    source: str,
    labels: dict[str, str],
) -> str:
    """Post a PagerDuty Events API v2 event to FIRELINE_URL/v2/enqueue."""
    event: dict[str, Any] = {"routing_key": key, "event_action": action}
    if dedup_key:
        event["dedup_key"] = dedup_key
    if action == "trigger":
        payload: dict[str, Any] = {
            "summary": (summary or "").strip(),
            "source": source,
            "severity": severity,
        }
        for name in PAGERDUTY_FIELDS:
            if name in labels:
                payload[name] = labels[name]
        details = {k: v for k, v in labels.items() if k not in PAGERDUTY_FIELDS}
        if details:
            payload["custom_details"] = details
        event["payload"] = payload
    url = api_client().url
    try:
        response = httpx.post(f"{url}/v2/enqueue", json=event, timeout=30)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach fireline at {url}: {exc}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 202:
        return str(answer.get("dedup_key") or dedup_key or "")
    if response.status_code == 429:
        wait = response.headers.get("retry-after", "a few")
        raise click.ClickException(f"rate limited: retry in {wait} seconds")
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if errors:
        raise click.ClickException("; ".join(str(e) for e in errors))
    message = answer.get("message") if isinstance(answer, dict) else None
    raise click.ClickException(message or f"HTTP {response.status_code}: {response.text[:200]}")


# --- alert groups ----------------------------------------------------------------------


@click.group("alerts")
def alerts_group() -> None:
    """Alert groups: what is firing, and what was."""


def _group_row(group: dict[str, Any]) -> dict[str, Any]:
    status = group["status"] + (" (flapping)" if group.get("flapping") else "")
    alerts = f"{group['active_count']}/{group['alert_count']}"
    return {**group, "status": status, "alerts": alerts, "created_at": _when(group["created_at"])}


@alerts_group.command("list")
@click.option(
    "--status",
    type=click.Choice(GROUP_STATUSES),
    default="open",
    show_default=True,
    help="open is triggered, acknowledged or silenced",
)
@click.option("--service", default=None)
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def alerts_list(status: str, service: str | None, limit: int, as_json: bool) -> None:
    """List alert groups, newest first (ALERTS is open/total alerts)."""
    rows = api_client().get(
        "/api/v1/alert-groups",
        status=None if status == "all" else status,
        service=service,
        limit=limit,
    )
    if as_json:
        echo_json(rows)
        return
    print_rows([_group_row(r) for r in rows], GROUP_COLUMNS, False)


@alerts_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def alerts_show(ref: str, as_json: bool) -> None:
    """Show one alert group (AG-12 or 12): its alerts, timeline and recent changes."""
    _show_group(api_client().get(f"/api/v1/alert-groups/{ref}"), as_json)


def _show_group(group: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(group)
        return
    flags = "  flapping" if group["flapping"] else ""
    click.echo(f"{group['ref']}  {group['severity']}  {group['status']}{flags}  {group['title']}")
    click.echo(f"  service    {group['service']}")
    click.echo(f"  urgency    {group['urgency']}")
    click.echo(f"  alerts     {group['active_count']} open of {group['alert_count']}")
    click.echo(f"  group key  {group['group_key'] or '-'}")
    for label, name in (
        ("policy", "escalation_policy"),
        ("quiet by", "silenced_by"),
        ("incident", "incident"),
    ):
        if group.get(name):
            click.echo(f"  {label:<10} {group[name]}")
    click.echo(f"  opened     {_when(group['created_at'])}")
    if group.get("acknowledged_at"):
        click.echo(f"  acked      {_when(group['acknowledged_at'])}")
    if group.get("resolved_at"):
        click.echo(f"  resolved   {_when(group['resolved_at'])}")
    if group.get("alerts"):
        click.echo("\nalerts:")
        for alert in group["alerts"]:
            repeats = f" ×{alert['count']}" if alert["count"] > 1 else ""
            click.echo(
                f"  {alert['status']:<8} {alert['severity']:<8} {alert['summary']}{repeats}"
                f"  [{alert['dedup_key']}]"
            )
    if group.get("timeline"):
        click.echo("\ntimeline:")
        for event in group["timeline"]:
            click.echo(f"  {_when(event['at'])}  {event['kind']:<13} {event['text']}")
    if group.get("recent_changes"):
        click.echo("\nrecent changes:")
        for change in group["recent_changes"]:
            click.echo(f"  {_when(change['at'])}  {change['kind']:<7} {change['summary']}")


@alerts_group.command("ack")
@click.argument("ref")
def alerts_ack(ref: str) -> None:
    """Acknowledge an alert group: paging stops, the group stays open."""
    group = api_client().post(f"/api/v1/alert-groups/{ref}/acknowledge")
    click.echo(f"{group['ref']} is now {group['status']}")


@alerts_group.command("resolve")
@click.argument("ref")
@click.option("--note", default="", help="why, for the timeline")
def alerts_resolve(ref: str, note: str) -> None:
    """Resolve an alert group and every alert still open in it."""
    group = api_client().post(f"/api/v1/alert-groups/{ref}/resolve", {"note": note})
    click.echo(f"{group['ref']} is now {group['status']}")


# --- silences --------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1h30m``, ``3d``, ``1w``."""
    compact = text.strip().replace(" ", "")
    parts = DURATION_PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise click.BadParameter(
            f"expected a duration such as 90m, 2h, 1h30m or 3d, got {text!r}",
            param_hint="--duration",
        )
    total = timedelta()
    for number, unit in parts:
        total += timedelta(**{UNITS[unit.lower()]: float(number)})
    if total <= timedelta():
        raise click.BadParameter("expected a duration longer than zero", param_hint="--duration")
    return total


def parse_until(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is this machine's local time."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 time such as 2026-03-02T18:00 or 2026-03-02T18:00Z, got {text!r}",
            param_hint="--until",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return parsed.astimezone(UTC)


@click.group("silence")
def silence_group() -> None:
    """Silences: matching alerts are kept but page nobody."""


def _silence_row(silence: dict[str, Any]) -> dict[str, Any]:
    return {
        **silence,
        "matchers": ", ".join(silence["matchers"]),
        "ends_at": _when(silence["ends_at"]),
    }


@silence_group.command("add")
@click.argument("matchers")
@click.option("--duration", default=None, help="how long from now: 90m, 2h, 1h30m, 3d")
@click.option("--until", default=None, help="or until an ISO 8601 time (local if no zone)")
@click.option("--comment", required=True, help="why: shown on every silenced group")
@click.option("--json", "as_json", is_flag=True)
def silence_add(
    matchers: str, duration: str | None, until: str | None, comment: str, as_json: bool
) -> None:
    """Silence alerts matching MATCHERS, e.g. 'alertname="DiskFull", instance=~"db-.*"'.

    Matchers compare labels: = and != exactly, =~ and !~ with a regular
    expression matched against the whole value. service="slug" matches the
    service an alert is routed to."""
    if (duration is None) == (until is None):
        raise click.UsageError("give either --duration or --until")
    ends_at = datetime.now(UTC) + parse_duration(duration) if duration else parse_until(str(until))
    created = api_client().post(
        "/api/v1/silences",
        {"matchers": matchers, "ends_at": ends_at.isoformat(), "comment": comment},
    )
    if as_json:
        echo_json(created)
        return
    click.echo(
        f"silence {created['id']} {created['state']} until {_when(created['ends_at'])} UTC: "
        f"{', '.join(created['matchers'])}"
    )


@silence_group.command("list")
@click.option("--all", "include_expired", is_flag=True, help="include expired silences")
@click.option("--json", "as_json", is_flag=True)
def silence_list(include_expired: bool, as_json: bool) -> None:
    """List active and pending silences, newest first."""
    rows = api_client().get("/api/v1/silences", include_expired="true" if include_expired else None)
    print_rows(rows if as_json else [_silence_row(r) for r in rows], SILENCE_COLUMNS, as_json)


@silence_group.command("expire")
@click.argument("silence_id", metavar="ID", type=int)
def silence_expire(silence_id: int) -> None:
    """End a silence now."""
    expired = api_client().post(f"/api/v1/silences/{silence_id}/expire")
    click.echo(f"silence {expired['id']} is now {expired['state']}")


# --- changes ---------------------------------------------------------------------------


@click.group("changes")
def changes_group() -> None:
    """Change events: deploys, config changes and feature flags."""


@changes_group.command("list")
@click.option("--service", default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def changes_list(service: str | None, limit: int, as_json: bool) -> None:
    """List change events, newest first."""
    rows = api_client().get("/api/v1/changes", service=service, limit=limit)
    if not as_json:
        rows = [{**row, "at": _when(row["at"])} for row in rows]
    print_rows(rows, CHANGE_COLUMNS, as_json)


def register(main: click.Group) -> None:
    for group in (
        alert_group,
        alerts_group,
        silence_group,
        changes_group,
    ):
        main.add_command(group)
