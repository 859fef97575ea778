"""`fireline service|integration|alert|alerts|silence|changes` and `fireline demo alerts`
against a running server, and the demo seed's alerting data."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from fireline.alerts.demo_storm import FLAPPER, OUTAGE, alert_storm
from fireline.alerts.models import (
    AlertGroup,
    ChangeEvent,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from fireline.cli import main
from fireline.cli.alerts import parse_duration
from fireline.core.audit import verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.demo import seed
from fireline.exercises.injects import INTEGRATION as EXERCISE_INTEGRATION
from fireline.incidents.models import Incident
from tests.conftest import LiveServer, Persona

KEY = re.compile(r"^  key\s+([0-9a-f]{32})$", re.M)


def run(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def env_for(server: LiveServer, persona: Persona | None, tmp_path: Path) -> dict[str, str]:
    return {
        "FIRELINE_URL": server.url,
        "FIRELINE_TOKEN": (persona.token or "") if persona else "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def ok(args: list[str], env: dict[str, str]) -> str:
    result = run(args, env)
    assert result.exit_code == 0, result.output
    return result.output


def ok_json(args: list[str], env: dict[str, str]) -> Any:
    return json.loads(ok([*args, "--json"], env))


@pytest.fixture
def manager(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> dict[str, str]:
    env = env_for(live_server, personas["manager"], tmp_path)
    ok(["service", "create", "db", "--name", "Main DB", "--tier", "1"], env)
    return env


@pytest.fixture
def responder(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path, manager: dict[str, str]
) -> dict[str, str]:
    return env_for(live_server, personas["responder"], tmp_path)


def test_service_create_and_list(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = env_for(live_server, personas["manager"], tmp_path)
    made = ok(
        [
            "service",
            "create",
            "checkout",
            "--name",
            "Checkout",
            "--tier",
            "1",
            "--runbook",
            "https://runbooks.example.com/checkout",
        ],
        env,
    )
    assert "service checkout (Checkout, tier 1) created" in made
    ok(["service", "create", "search"], env)

    table = ok(["service", "list"], env)
    assert table.splitlines()[0].split() == ["SLUG", "NAME", "OWNER_TEAM", "TIER", "RUNBOOK_URL"]
    assert "https://runbooks.example.com/checkout" in table
    listed = ok_json(["service", "list"], env)
    assert {s["slug"]: (s["name"], s["tier"]) for s in listed} == {
        "checkout": ("Checkout", 1),
        "search": ("search", 2),
    }

    again = run(["service", "create", "checkout"], env)
    assert again.exit_code == 1
    assert "a service called checkout already exists [field: slug]" in again.output
    bad = run(["service", "create", "shop", "--runbook", "ftp://x"], env)
    assert bad.exit_code == 1 and "[field: runbook_url]" in bad.output
    viewer = env_for(live_server, personas["viewer"], tmp_path)
    refused = run(["service", "create", "other"], viewer)
    assert refused.exit_code == 1 and "needs the manager role" in refused.output


def test_integration_create_list_rotate_revoke(
    live_server: LiveServer, manager: dict[str, str]
) -> None:
    made = ok(
        [
            "integration",
            "create",
            "--service",
            "db",
            "--kind",
            "alertmanager",
            "--name",
            "Prometheus",
            "--group-by",
            "alertname, cluster",
        ],
        manager,
    )
    found = KEY.search(made)
    assert found, made
    key = found.group(1)
    assert f"ingestion URL  {live_server.url}/ingest/{key}" in made
    assert "shown only now" in made
    assert "webhook_configs:" in made and f"credentials: {key}" in made  # the snippet

    body = {"version": "4", "alerts": [{"labels": {"alertname": "Up", "cluster": "a"}}]}
    assert httpx.post(f"{live_server.url}/ingest/{key}", json=body).status_code == 202

    heartbeat = ok_json(
        [
            "integration",
            "create",
            "--service",
            "db",
            "--kind",
            "heartbeat",
            "--period",
            "300",
            "--grace",
            "30",
        ],
        manager,
    )
    assert heartbeat["kind"] == "heartbeat"
    assert heartbeat["ingestion_url"] == f"{live_server.url}/ping/{heartbeat['key']}"
    assert httpx.get(heartbeat["ingestion_url"]).json() == {"status": "ok", "heartbeat": "up"}

    listed = ok_json(["integration", "list", "--service", "db"], manager)
    assert [(i["kind"], i["name"], i["group_by"]) for i in listed] == [
        ("alertmanager", "Prometheus", ["alertname", "cluster"]),
        ("heartbeat", "db heartbeat", []),
    ]
    assert all("key" not in i for i in listed)
    assert listed[0]["key_hint"] == "…" + key[-4:]
    table = ok(["integration", "list"], manager)
    assert "Prometheus" in table and "alertname,cluster" in table and "active" in table

    prometheus = str(listed[0]["id"])
    rotated = ok(["integration", "rotate", prometheus], manager)
    new_found = KEY.search(rotated)
    assert new_found and new_found.group(1) != key
    assert "has a new key" in rotated
    assert httpx.post(f"{live_server.url}/ingest/{key}", json=body).status_code == 404
    new_url = f"{live_server.url}/ingest/{new_found.group(1)}"
    assert httpx.post(new_url, json=body).status_code == 202

    revoked = ok(["integration", "revoke", prometheus], manager)
    assert f"integration {prometheus} (Prometheus) revoked" in revoked
    assert httpx.post(new_url, json=body).status_code == 404
    assert re.search(r"Prometheus\s.*\brevoked\b", ok(["integration", "list"], manager))
    again = run(["integration", "rotate", prometheus], manager)
    assert again.exit_code == 1 and "revoked integration cannot get a new key" in again.output


def test_integration_errors(manager: dict[str, str], responder: dict[str, str]) -> None:
    misplaced = run(
        ["integration", "create", "--service", "db", "--kind", "generic", "--period", "60"], manager
    )
    assert misplaced.exit_code == 2 and "--period and --grace are for --kind heartbeat" in (
        misplaced.output
    )
    unknown = run(["integration", "create", "--service", "nope", "--kind", "generic"], manager)
    assert unknown.exit_code == 1 and "no service nope" in unknown.output
    kind = run(["integration", "create", "--service", "db", "--kind", "nagios"], manager)
    assert kind.exit_code == 2 and "nagios" in kind.output
    refused = run(["integration", "create", "--service", "db", "--kind", "generic"], responder)
    assert refused.exit_code == 1
    assert "this needs the manager role; you are responder" in refused.output
    missing = run(["integration", "revoke", "999"], manager)
    assert missing.exit_code == 1 and "no integration 999" in missing.output


def test_alert_send_list_show_ack_resolve(
    responder: dict[str, str], personas: dict[str, Persona]
) -> None:
    sent = ok(
        [
            "alert",
            "send",
            "--service",
            "db",
            "--summary",
            "Disk full on db-1",
            "--severity",
            "critical",
            "--dedup-key",
            "disk-db-1",
            "--label",
            "team=db",
            "--label",
            "instance=db-1",
        ],
        responder,
    )
    assert "alert triggered on db; dedup key disk-db-1" in sent
    assert "fireline alert send --service db --dedup-key disk-db-1 --resolve" in sent

    table = ok(["alerts", "list"], responder).splitlines()
    assert table[0].split() == [
        "REF",
        "STATUS",
        "SEVERITY",
        "SERVICE",
        "ALERTS",
        "TITLE",
        "CREATED_AT",
    ]
    assert re.match(r"AG-\d+\s+triggered\s+critical\s+db\s+1/1\s+Disk full on db-1\s", table[1])
    [group] = ok_json(["alerts", "list"], responder)
    ref = group["ref"]
    assert (group["status"], group["severity"], group["service"]) == ("triggered", "critical", "db")
    assert group["alert_count"] == group["active_count"] == 1

    shown = ok(["alerts", "show", ref], responder)
    assert shown.startswith(f"{ref}  critical  triggered  Disk full on db-1")
    assert "alerts:" in shown and "[disk-db-1]" in shown and "timeline:" in shown
    detail = ok_json(["alerts", "show", ref.removeprefix("AG-")], responder)
    [alert] = detail["alerts"]
    assert alert["labels"]["team"] == "db"
    assert alert["labels"]["sent_by"] == personas["responder"].email

    assert f"{ref} is now acknowledged" in ok(["alerts", "ack", ref], responder)
    assert [g["status"] for g in ok_json(["alerts", "list"], responder)] == ["acknowledged"]

    resolved = ok(
        ["alert", "send", "--service", "db", "--dedup-key", "disk-db-1", "--resolve"], responder
    )
    assert "alert resolved on db; dedup key disk-db-1" in resolved
    assert ok(["alerts", "list"], responder).strip() == "(none)"
    [done] = ok_json(["alerts", "list", "--status", "resolved"], responder)
    assert done["ref"] == ref and done["resolved_at"] is not None

    late = run(["alerts", "ack", ref], responder)
    assert late.exit_code == 1 and f"{ref} is already resolved" in late.output

    ok(["alert", "send", "--service", "db", "--summary", "Replica lag"], responder)
    [other] = ok_json(["alerts", "list"], responder)
    assert other["severity"] == "warning"
    note = ok(["alerts", "resolve", other["ref"], "--note", "replica rebuilt"], responder)
    assert f"{other['ref']} is now resolved" in note
    timeline = ok_json(["alerts", "show", other["ref"]], responder)["timeline"]
    assert timeline[-1]["text"].endswith("replica rebuilt")
    everything = ok_json(["alerts", "list", "--status", "all", "--service", "db"], responder)
    assert {g["ref"] for g in everything} == {ref, other["ref"]}


def test_alert_command_errors(responder: dict[str, str]) -> None:
    missing = run(["alerts", "show", "AG-999"], responder)
    assert missing.exit_code == 1 and "no alert group AG-999" in missing.output
    status = run(["alerts", "list", "--status", "bogus"], responder)
    assert status.exit_code == 2
    no_summary = run(["alert", "send", "--service", "db"], responder)
    assert no_summary.exit_code == 2 and "--summary is required" in no_summary.output
    no_key = run(["alert", "send", "--service", "db", "--resolve"], responder)
    assert no_key.exit_code == 2 and "--dedup-key" in no_key.output
    both = run(["alert", "send", "--service", "db", "--key", "k", "--summary", "x"], responder)
    assert both.exit_code == 2 and "either --service" in both.output
    label = run(
        ["alert", "send", "--service", "db", "--summary", "x", "--label", "nolabel"], responder
    )
    assert label.exit_code == 2 and "expected name=value" in label.output
    unknown = run(["alert", "send", "--service", "nope", "--summary", "x"], responder)
    assert unknown.exit_code == 1 and "no service nope" in unknown.output


def test_alert_send_with_an_integration_key_needs_no_token(
    live_server: LiveServer, manager: dict[str, str], tmp_path: Path
) -> None:
    key = ok_json(["integration", "create", "--service", "db", "--kind", "pagerduty"], manager)[
        "key"
    ]
    anonymous = env_for(live_server, None, tmp_path)
    sent = ok(
        [
            "alert",
            "send",
            "--key",
            key,
            "--summary",
            "Checkout 502s",
            "--severity",
            "error",
            "--dedup-key",
            "co-502",
            "--source",
            "web-1",
            "--label",
            "component=web",
            "--label",
            "region=eu",
        ],
        anonymous,
    )
    assert "alert triggered on the integration; dedup key co-502" in sent
    [group] = ok_json(["alerts", "list"], manager)
    assert (group["title"], group["severity"]) == ("Checkout 502s", "error")
    [alert] = ok_json(["alerts", "show", group["ref"]], manager)["alerts"]
    assert alert["source"] == "web-1"
    assert alert["labels"]["component"] == "web"
    assert alert["annotations"]["custom_details"] == {"region": "eu"}

    done = ok(["alert", "send", "--key", key, "--dedup-key", "co-502", "--resolve"], anonymous)
    assert "alert resolved" in done
    assert ok_json(["alerts", "show", group["ref"]], manager)["status"] == "resolved"
    generated = ok(["alert", "send", "--key", key, "--summary", "No dedup key"], anonymous)
    assert re.search(r"dedup key [0-9a-f]{32}\n", generated)

    wrong = run(["alert", "send", "--key", "0" * 32, "--summary", "x"], anonymous)
    assert wrong.exit_code == 1 and "not a known integration key" in wrong.output
    heartbeat = ok_json(
        ["integration", "create", "--service", "db", "--kind", "heartbeat"], manager
    )
    kind = run(["alert", "send", "--key", heartbeat["key"], "--summary", "x"], anonymous)
    assert kind.exit_code == 1 and "belongs to a heartbeat integration" in kind.output


def test_silences(responder: dict[str, str], clock: FixedClock) -> None:
    # The CLI computes --duration from this machine's clock; let the server agree.
    clock.set(datetime.now(UTC))
    made = ok(
        [
            "silence",
            "add",
            'alertname="DiskFull", instance=~"db-.*"',
            "--duration",
            "2h",
            "--comment",
            "resizing the volumes",
        ],
        responder,
    )
    assert re.match(
        r'silence (\d+) active until \S+ \S+ UTC: alertname="DiskFull", instance=~"db-\.\*"', made
    ), made
    [silence] = ok_json(["silence", "list"], responder)
    assert silence["matchers"] == ['alertname="DiskFull"', 'instance=~"db-.*"']
    assert silence["created_by"] == "responder@example.com"
    ends = datetime.fromisoformat(silence["ends_at"]).replace(tzinfo=UTC)
    assert abs(ends - (clock.now() + timedelta(hours=2))) < timedelta(minutes=1)
    table = ok(["silence", "list"], responder)
    assert "resizing the volumes" in table and "active" in table

    ok(
        [
            "alert",
            "send",
            "--service",
            "db",
            "--summary",
            "Disk full on db-7",
            "--label",
            "alertname=DiskFull",
            "--label",
            "instance=db-7",
        ],
        responder,
    )
    [group] = ok_json(["alerts", "list"], responder)
    assert group["status"] == "silenced" and group["silenced_by"] == f"silence:{silence['id']}"
    assert "quiet by" in ok(["alerts", "show", group["ref"]], responder)

    until = (clock.now() + timedelta(days=1)).replace(microsecond=0)
    second = ok_json(
        [
            "silence",
            "add",
            'team="db"',
            "--until",
            until.isoformat().replace("+00:00", "Z"),
            "--comment",
            "db team offsite",
        ],
        responder,
    )
    assert datetime.fromisoformat(second["ends_at"]).replace(tzinfo=UTC) == until

    expired = ok(["silence", "expire", str(silence["id"])], responder)
    assert f"silence {silence['id']} is now expired" in expired
    assert [s["id"] for s in ok_json(["silence", "list"], responder)] == [second["id"]]
    every = ok_json(["silence", "list", "--all"], responder)
    assert {s["id"]: s["state"] for s in every} == {
        silence["id"]: "expired",
        second["id"]: "active",
    }

    bad = run(["silence", "add", "alertname", "--duration", "1h", "--comment", "x"], responder)
    assert bad.exit_code == 1
    assert "cannot read 'alertname'" in bad.output and "[field: matchers]" in bad.output
    duration = run(["silence", "add", 'a="b"', "--duration", "2x", "--comment", "x"], responder)
    assert duration.exit_code == 2 and "expected a duration" in duration.output
    neither = run(["silence", "add", 'a="b"', "--comment", "x"], responder)
    assert neither.exit_code == 2 and "either --duration or --until" in neither.output
    missing = run(["silence", "expire", "999"], responder)
    assert missing.exit_code == 1 and "no silence 999" in missing.output


def test_parse_duration() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1w 2d") == timedelta(days=9)
    assert parse_duration("45s") == timedelta(seconds=45)
    for bad in ("", "2", "h", "2h-", "0m", "1y"):
        with pytest.raises(click.BadParameter):
            parse_duration(bad)


def test_changes_list(live_server: LiveServer, manager: dict[str, str]) -> None:
    change = ok_json(["integration", "create", "--service", "db", "--kind", "change"], manager)
    for summary in ("Deploy db-proxy 1.4.2", "Raise max_connections to 400"):
        posted = httpx.post(
            change["ingestion_url"],
            json={
                "summary": summary,
                "source": "ci",
                "kind": "deploy" if "Deploy" in summary else "config",
            },
        )
        assert posted.status_code == 202, posted.text
    table = ok(["changes", "list"], manager)
    assert table.splitlines()[0].split() == ["AT", "SERVICE", "KIND", "SUMMARY", "SOURCE"]
    assert "Deploy db-proxy 1.4.2" in table and "config" in table
    listed = ok_json(["changes", "list", "--service", "db"], manager)
    assert {(c["service"], c["kind"], c["summary"], c["source"]) for c in listed} == {
        ("db", "deploy", "Deploy db-proxy 1.4.2", "ci"),
        ("db", "config", "Raise max_connections to 400", "ci"),
    }
    missing = run(["changes", "list", "--service", "nope"], manager)
    assert missing.exit_code == 1 and "no service nope" in missing.output


def test_demo_alerts_storm_groups_what_it_sends(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = env_for(live_server, personas["manager"], tmp_path)
    ok(["service", "create", "postgres-main"], env)
    output = ok(["demo", "alerts", "--duration", "1", "--rate", "40"], env)
    assert f"posting to {live_server.url}/ingest" in output
    assert f"{OUTAGE}: " in output and "marked flapping" in output
    summary = re.search(
        r"sent ([\d,]+) alerts in (\d+) webhook requests .*fireline shows (\d+) groups", output
    )
    assert summary, output
    sent, groups_shown = int(summary.group(1).replace(",", "")), int(summary.group(3))
    assert sent >= 40

    groups = ok_json(["alerts", "list", "--status", "all", "--service", "postgres-main"], env)
    assert len(groups) == groups_shown
    detail = [ok_json(["alerts", "show", g["ref"]], env) for g in groups]
    names = Counter(g["alerts"][0]["labels"]["alertname"] for g in detail)
    # The outage is one group however many instances fail; the flapping alert
    # opens four, the last of them marked; each warning is a group of its own.
    assert names[OUTAGE] == 1 and names[FLAPPER] == 4
    assert groups_shown == 1 + 4 + 3
    [outage] = [g for g in detail if g["alerts"][0]["labels"]["alertname"] == OUTAGE]
    assert outage["alert_count"] > 3 and 0 < outage["active_count"] < outage["alert_count"]
    flapping = [g for g in detail if g["flapping"]]
    assert len(flapping) == 1 and flapping[0]["status"] == "triggered"
    # Every alert the storm sent reached a group: each firing one counted on its
    # alert (a repeat adds one), each resolve closing one.
    alerts = [a for g in detail for a in g["alerts"]]
    assert sum(a["count"] for a in alerts) + sum(a["status"] == "resolved" for a in alerts) == sent

    missing = run(["demo", "alerts", "--service", "nope", "--duration", "1"], env)
    assert missing.exit_code == 1 and "no service nope" in missing.output


def test_alert_storm_plan() -> None:
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    plan = alert_storm(duration=60, rate=20, service="db", started=started, run="r1")
    assert len(plan) == 60 and plan[-1].at == 59
    sent = sum(step.size for step in plan)
    assert abs(sent - 1200) <= 60
    keys = Counter(b.body["groupKey"] for step in plan for b in step.batches)
    assert set(keys) == {
        f'{{}}:{{alertname="{name}",storm="r1"}}'
        for name in (
            OUTAGE,
            FLAPPER,
            "DiskWillFillIn4Hours",
            "HighRequestLatency",
            "CertificateExpiresSoon",
        )
    }
    for step in plan:
        for batch in step.batches:
            body = batch.body
            assert body["version"] == "4" and body["receiver"] == "fireline"
            assert all(a["labels"]["storm"] == "r1" for a in body["alerts"])
            assert body["status"] == (
                "firing" if any(a["status"] == "firing" for a in body["alerts"]) else "resolved"
            )


def test_demo_seed_creates_alert_groups_once(db: Database, clock: FixedClock) -> None:
    def counts() -> dict[str, Any]:
        with db.session() as session:
            # The demo exercise's inject raised an alert too; these are the real ones.
            drills = set(session.scalars(select(Incident.id).where(Incident.is_exercise.is_(True))))
            groups = [g for g in session.scalars(select(AlertGroup)) if g.incident_id not in drills]
            return {
                "statuses": Counter(g.status for g in groups),
                "flapping": sum(1 for g in groups if g.flapping),
                "kinds": sorted(
                    session.scalars(
                        select(Integration.kind).where(Integration.name != EXERCISE_INTEGRATION)
                    )
                ),
                **{
                    model.__name__: session.scalar(select(func.count()).select_from(model))
                    for model in (Silence, MaintenanceWindow, RoutingRule, ChangeEvent, Heartbeat)
                },
            }

    with db.transaction() as session:
        seed(session, now=clock.now(), password="demo-password")
    first = counts()
    clock.advance(hours=1)
    with db.transaction() as session:
        seed(session, now=clock.now(), password="demo-password")
    assert counts() == first
    assert first["statuses"] == {"resolved": 5, "triggered": 2, "acknowledged": 1, "silenced": 1}
    assert first["flapping"] == 1
    assert first["kinds"] == ["alertmanager", "change", "heartbeat", "pagerduty"]
    assert {k: first[k] for k in ("Silence", "MaintenanceWindow", "RoutingRule", "Heartbeat")} == {
        "Silence": 1,
        "MaintenanceWindow": 1,
        "RoutingRule": 1,
        "Heartbeat": 1,
    }
    assert first["ChangeEvent"] == 3
    with db.session() as session:
        acknowledged = session.scalar(select(AlertGroup).where(AlertGroup.status == "acknowledged"))
        assert acknowledged is not None
        assert acknowledged.alert_count == 3 and acknowledged.escalation_policy == "platform-dba"
        silenced = session.scalar(select(AlertGroup).where(AlertGroup.status == "silenced"))
        assert silenced is not None and silenced.silenced_by is not None
        assert silenced.silenced_by.startswith("silence:")
        assert verify(session).ok


def test_demo_command_still_seeds_and_has_an_alerts_subcommand(database_url: str) -> None:
    env = {"FIRELINE_DATABASE_URL": database_url}
    assert "created" in ok(["demo"], env)
    assert "already there" in ok(["demo"], env)
    db = Database(database_url)
    with db.session() as session:
        real = select(func.count()).select_from(AlertGroup).join(Incident, isouter=True)
        # The demo exercise's inject raised one more, on the exercise incident.
        assert session.scalar(real.where(Incident.is_exercise.is_not(True))) == 9
    db.dispose()
    assert "Send an alert storm" in ok(["demo", "--help"], env)
