"""Response metrics from a terminal.

fireline insights [--since DATE] [--until DATE] [--preset 30d|90d|quarter]
                  [--team T] [--service S] [--severity SEV] [--json]
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from fireline.cli.client import api_client
from fireline.insights.display import LABELS, value_text


def _day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter("expected a date such as 2026-03-01", param_hint=option) from None


def _print(report: dict[str, Any]) -> None:
    period, previous = report["period"], report["previous"]["period"]
    click.echo(
        f"{period['since']} to {period['until']} ({period['days']} days, {period['time_zone']}), "
        f"compared with {previous['since']} to {previous['until']}"
    )
    filters = ", ".join(f"{k}={v}" for k, v in report["filters"].items() if v)
    if filters:
        click.echo(f"filters: {filters}")
    click.echo("")
    width = max(len(label) for label in LABELS.values())
    click.echo(f"{'METRIC'.ljust(width)}  {'NOW':>14}  {'BEFORE':>14}  CHANGE")
    for key, delta in report["deltas"].items():
        verdict = {True: "better", False: "worse"}.get(delta["better"], "")
        arrow = {"up": "up", "down": "down", "same": "same"}.get(delta["direction"], "")
        click.echo(
            f"{LABELS.get(key, key).ljust(width)}  {value_text(key, delta['current']):>14}  "
            f"{value_text(key, delta['previous']):>14}  {arrow} {verdict}".rstrip()
        )
    click.echo("")
    click.echo("Times (seconds): count, mean, median, p90")
    for key, summary in report["times"].items():
        click.echo(
            f"  {key.upper()}  {summary['count']:>4}  {summary['mean_seconds']}  "
            f"{summary['median_seconds']}  {summary['p90_seconds']}"
        )
    click.echo("SLA compliance (response, resolution):")
    for row in report["sla"]["by_severity"]:
        click.echo(
            f"  {row['severity']:<6} {row['incidents']:>4} incidents  "
            f"{value_text('sla_compliance', row['response']['rate']):>5}  "
            f"{value_text('sla_compliance', row['resolution']['rate']):>5}"
        )
    click.echo(f"Repeat incidents: {report['repeats']['count']}")
    for repeat in report["repeats"]["incidents"]:
        click.echo(f"  {repeat['ref']} repeats {repeat['repeats']} on {repeat['service']}")
    for person in report["oncall"]["people"]:
        click.echo(
            f"  {person['name']}: {person['pages']} pages, "
            f"{person['off_hours']} notifications out of hours"
        )


@click.command("insights")
@click.option("--since", help="first day, YYYY-MM-DD (default: 90 days ago)")
@click.option("--until", help="last day, YYYY-MM-DD, inclusive (default: today)")
@click.option("--preset", type=click.Choice(["30d", "90d", "quarter"]), help="a period by name")
@click.option("--team", help="incidents of this team's services")
@click.option("--service", help="a service's slug")
@click.option("--severity", help="one severity, e.g. SEV1")
@click.option("--json", "as_json", is_flag=True, help="the whole report as JSON")
def insights(
    since: str | None,
    until: str | None,
    preset: str | None,
    team: str | None,
    service: str | None,
    severity: str | None,
    as_json: bool,
) -> None:
    """MTTD, MTTA, MTTM, MTTR, SLA compliance, repeats, follow-up and on-call load."""
    report = api_client().get(
        "/api/v1/insights",
        since=_day(since, "--since"),
        until=_day(until, "--until"),
        preset=preset,
        team=team,
        service=service,
        severity=severity,
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print(report)


def register(main: click.Group) -> None:
    main.add_command(insights)
