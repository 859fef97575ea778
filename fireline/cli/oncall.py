"""On-call from a terminal: who is on call, schedules and overrides, pages.

fireline oncall now [--schedule NAME] [--at TIME] [--json]
fireline oncall check
fireline oncall load [--weeks N] [--team T] [--json]
fireline schedule list|show NAME|override NAME --user U --start T --end T
fireline page list|ack ID|resolve ID|escalate ID
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from fireline.cli.client import api_client, echo_json, print_rows


def _when(value: Any) -> str:
    return value.replace("T", " ")[:16] if isinstance(value, str) else "-"


def _time(value: str | None, option: str) -> str | None:
    """An ISO time; without an offset it is read as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO time such as 2026-11-23T09:00Z", param_hint=option
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _person(value: Any) -> str:
    return f"{value['name']} <{value['email']}>" if isinstance(value, dict) else "nobody"


@click.group("oncall")
def oncall_group() -> None:
    """Who is on call, and whether they can be reached."""


@oncall_group.command("now")
@click.option("--schedule", default=None, help="one schedule's slug; default: all")
@click.option("--at", "at", default=None, help="another instant, e.g. 2026-12-24T20:00Z")
@click.option("--json", "as_json", is_flag=True)
def oncall_now(schedule: str | None, at: str | None, as_json: bool) -> None:
    """Who is on call now (or at --at), and until when."""
    params = {"schedule": schedule, "at": _time(at, "--at")}
    rows = api_client().get("/api/v1/oncall", **{k: v for k, v in params.items() if v})
    if as_json:
        echo_json(rows)
        return
    print_rows(
        [
            {"schedule": r["schedule"], "on call": _person(r["user"]), "until": _when(r["until"])}
            for r in rows
        ],
        ["schedule", "on call", "until"],
        False,
    )


@oncall_group.command("check")
@click.option("--json", "as_json", is_flag=True)
def oncall_check(as_json: bool) -> None:
    """Warn about anyone on a schedule or policy who cannot be reached.

    Exits 1 when there is a warning, so a CI job or a cron can watch it."""
    warnings = api_client().get("/api/v1/oncall/check")
    if as_json:
        echo_json(warnings)
    elif not warnings:
        click.echo("everyone on a schedule or an escalation policy has a working contact method")
    else:
        for warning in warnings:
            click.echo(f"warning: {warning['message']}")
    if warnings:
        raise SystemExit(1)


@oncall_group.command("load")
@click.option(
    "--weeks",
    type=click.IntRange(1, 26),
    default=4,
    show_default=True,
    help="this week and N-1 before",
)
@click.option("--team", default=None, help="only this team's members")
@click.option("--json", "as_json", is_flag=True)
def oncall_load(weeks: int, team: str | None, as_json: bool) -> None:
    """Who carried the pager: hours on call, pages, and the notifications
    that came off-hours or in the night, per person and ISO week (each in
    their own time zone)."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    report = api_client().get(
        "/api/v1/oncall/load",
        start=first.isoformat(),
        end=(today + timedelta(days=1)).isoformat(),
        team=team,
    )
    if as_json:
        echo_json(report)
        return
    print_rows(
        [
            {
                "person": person["user"]["name"],
                "week": week["week"],
                "on call (h)": f"{week['hours_on_call']:.1f}",
                "pages": week["pages"],
                "notifications": week["notifications"],
                "off-hours": week["off_hours"],
                "sleep": week["sleep_hours"],
            }
            for person in report["people"]
            for week in person["weeks"]
        ],
        ["person", "week", "on call (h)", "pages", "notifications", "off-hours", "sleep"],
        False,
    )


@click.group("schedule")
def schedule_group() -> None:
    """On-call schedules."""


@schedule_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def schedule_list(as_json: bool) -> None:
    rows = api_client().get("/api/v1/schedules")
    if as_json:
        echo_json(rows)
        return
    print_rows(
        [
            {
                "slug": r["slug"],
                "name": r["name"],
                "time_zone": r["time_zone"],
                "layers": len(r["layers"]),
                "on call now": _person(r["on_call_now"]),
            }
            for r in rows
        ],
        ["slug", "name", "time_zone", "layers", "on call now"],
        False,
    )


@schedule_group.command("show")
@click.argument("name")
@click.option("--days", type=click.IntRange(1, 92), default=14, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def schedule_show(name: str, days: int, as_json: bool) -> None:
    """The shifts of the next DAYS days."""
    client = api_client()
    start = datetime.now(UTC).replace(microsecond=0)
    end = start.timestamp() + days * 86400
    timeline = client.get(
        f"/api/v1/schedules/{name}/shifts",
        start=start.isoformat(),
        end=datetime.fromtimestamp(end, UTC).isoformat(),
    )
    if as_json:
        echo_json(timeline)
        return
    print_rows(
        [
            {
                "from": _when(s["start"]),
                "to": _when(s["end"]),
                "on call": _person(s["user"]),
                "why": s["source"],
            }
            for s in timeline["final"]
        ],
        ["from", "to", "on call", "why"],
        False,
    )


@schedule_group.command("override")
@click.argument("name")
@click.option("--user", required=True, help="who covers (id or e-mail)")
@click.option("--start", required=True, help="ISO time; UTC unless it says otherwise")
@click.option("--end", required=True, help="ISO time")
@click.option("--replaces", default=None, help="make it a swap: cover only this person's time")
@click.option("--note", default="")
@click.option("--json", "as_json", is_flag=True)
def schedule_override(
    name: str, user: str, start: str, end: str, replaces: str | None, note: str, as_json: bool
) -> None:
    """Someone covers NAME from --start to --end."""
    created = api_client().post(
        f"/api/v1/schedules/{name}/overrides",
        {
            "user": user,
            "starts_at": _time(start, "--start"),
            "ends_at": _time(end, "--end"),
            "replaces": replaces,
            "note": note,
        },
    )
    if as_json:
        echo_json(created)
    else:
        click.echo(
            f"override {created['id']} on {name}: {_when(created['starts_at'])} to {_when(created['ends_at'])}"
        )


@click.group("page")
def page_group() -> None:
    """Pages in flight: acknowledge, resolve or escalate them."""


@page_group.command("list")
@click.option("--status", type=click.Choice(["active", "acknowledged", "resolved"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def page_list(status: str | None, as_json: bool) -> None:
    rows = api_client().get("/api/v1/pages", **({"status": status} if status else {}))
    print_rows(
        rows if as_json else [{**r, "started_at": _when(r["started_at"])} for r in rows],
        ["id", "status", "urgency", "policy", "step", "title", "started_at"],
        as_json,
    )


def _act(action: str, page_id: int) -> None:
    page = api_client().post(f"/api/v1/pages/{page_id}/{action}")
    click.echo(f"page {page['id']}: {page['status']} ({page['title']})")


@page_group.command("ack")
@click.argument("page_id", type=int, metavar="ID")
def page_ack(page_id: int) -> None:
    """Acknowledge: stop the escalation, you are on it."""
    _act("acknowledge", page_id)


@page_group.command("resolve")
@click.argument("page_id", type=int, metavar="ID")
def page_resolve(page_id: int) -> None:
    _act("resolve", page_id)


@page_group.command("escalate")
@click.argument("page_id", type=int, metavar="ID")
def page_escalate(page_id: int) -> None:
    """Page the next step now."""
    _act("escalate", page_id)


def register(main: click.Group) -> None:
    for group in (oncall_group, schedule_group, page_group):
        main.add_command(group)
