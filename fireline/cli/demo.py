"""``fireline demo``: create (or refresh) the demo organisation in the configured database.

``fireline demo alerts`` is different: a client of a running server, it sends
an alert storm so that grouping, dedup, resolves and flapping can be watched.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click
import httpx

from fireline.core.config import get_settings


@click.group(invoke_without_command=True)
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Create the demo organisation and print how to sign in and use the CLI."""
    if ctx.invoked_subcommand is None:
        _seed()


def _seed() -> None:
    from fireline.core.clock import SystemClock
    from fireline.core.db import Database
    from fireline.core.migrate import upgrade
    from fireline.demo import seed
    from fireline.plan import load_effective_plan

    settings = get_settings()
    db = Database(settings.database_url)
    upgrade(db.engine)
    with db.transaction() as session:
        login = seed(
            session,
            now=SystemClock().now(),
            password=settings.demo_password.get_secret_value(),
            plan=load_effective_plan(settings.plan),
            settings=settings,
        )
    db.dispose()
    url = settings.base_url or f"http://{settings.host}:{settings.port}"
    state = "created" if login.created else "already there; issued a fresh CLI token"
    click.echo(f"\nfireline demo organisation {state}.")
    click.echo(f"  Open      {url}")
    click.echo(f"  Sign in   {login.email} / {login.password}")
    click.echo("  CLI       in another terminal, paste:")
    click.echo(f"    export FIRELINE_URL={url}")
    click.echo(f"    export FIRELINE_TOKEN={login.token}\n")


@demo.command("alerts")
@click.option(
    "--service",
    default="postgres-main",
    show_default=True,
    help="the service the storm's integration belongs to",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=1, max=3600),
    default=60,
    show_default=True,
    help="seconds",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=1, max=5000),
    default=20,
    show_default=True,
    help="alerts a second, about",
)
@click.option("--quiet", is_flag=True, help="print only the summary")
def demo_alerts(service: str, duration: float, rate: float, quiet: bool) -> None:
    """Send an alert storm to a running server and show how fireline groups it.

    Creates an Alertmanager integration on SERVICE (FIRELINE_URL and
    FIRELINE_TOKEN of a manager; `fireline demo` prints them), then posts
    Alertmanager webhook notifications for --duration seconds: a database
    outage on many instances, a few unrelated warnings, resolves and a
    flapping alert. At the end it reads the alert groups back."""
    from fireline.alerts.demo_storm import alert_storm
    from fireline.cli.client import api_client

    api = api_client()
    api.get(f"/api/v1/services/{service}")  # a clear error before anything is sent
    newest = api.get("/api/v1/alert-groups", limit=1)
    before = newest[0]["id"] if newest else 0
    # The storm's alerts may join groups already open on the service: note where those stand.
    already_open = {
        g["id"]: g["event_count"]
        for g in api.get("/api/v1/alert-groups", status="open", service=service, limit=500)
    }
    begun = datetime.now(UTC)
    stamp = begun.strftime("%Y-%m-%d %H:%M:%S")
    created = api.post(
        "/api/v1/integrations",
        {"service": service, "kind": "alertmanager", "name": f"alert storm {stamp}"},
    )
    key = created["key"]
    plan = alert_storm(
        duration=duration,
        rate=rate,
        service=service,
        started=begun,
        run=begun.strftime("%Y%m%d-%H%M%S"),
    )
    click.echo(
        f"integration {created['id']} (alertmanager) created on {service}; "
        f"posting to {api.url}/ingest with 'Authorization: Bearer …{key[-4:]}'"
    )
    click.echo(f"storm: about {sum(s.size for s in plan):,} alerts over {duration:g} s")
    if not quiet:
        click.echo("")

    sent = requests = failed = 0
    started = time.monotonic()
    with httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        for step in plan:
            delay = started + step.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for batch in step.batches:
                if _post(http, batch.body):
                    sent += batch.size
                else:
                    failed += batch.size
                requests += 1
            if not quiet:
                for note in step.notes:
                    click.echo(f"  {step.at:5.1f}s  {note}")
    elapsed = time.monotonic() - started

    groups = [
        g
        for g in api.get("/api/v1/alert-groups", service=service, limit=500)
        if g["id"] > before or already_open.get(g["id"], g["event_count"]) != g["event_count"]
    ]
    open_groups = sum(1 for g in groups if g["status"] != "resolved")
    click.echo(
        f"\nsent {sent:,} alerts in {requests:,} webhook requests over {elapsed:.0f} s; "
        f"fireline shows {len(groups)} groups ({open_groups} open)"
        + (f"; {failed:,} alerts were refused" if failed else "")
    )
    for group in sorted(groups, key=lambda g: g["id"]):
        notes = [group["status"]]
        if group["flapping"]:
            notes.append("flapping")
        if group["id"] <= before:
            notes.append("was open before the storm")
        click.echo(
            f"  {group['ref']:<7} {group['active_count']:>4} open of {group['alert_count']:<4} "
            f"{group['title']}  ({', '.join(notes)})"
        )
    click.echo(
        f"\nsee them with `fireline alerts list --service {service}` or at {api.url}/alerts; "
        f"`fireline integration revoke {created['id']}` retires the storm's key"
    )


def _post(http: httpx.Client, body: dict[str, Any]) -> bool:
    """Post one notification, retrying as Alertmanager does on 429 and 5xx."""
    for _ in range(3):
        try:
            response = http.post("/ingest", json=body)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach fireline: {exc}") from None
        if response.status_code == 202:
            return True
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after", "1")
            time.sleep(min(5.0, float(retry_after)) if retry_after.isdigit() else 1.0)
            continue
        click.echo(f"  refused: HTTP {response.status_code} {response.text[:200]}", err=True)
        return False
    return False


def register(main: click.Group) -> None:
    main.add_command(demo)
