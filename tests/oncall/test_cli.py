"""`fireline oncall|schedule|page` against a running server, and the demo's
on-call data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from fireline.cli import main
from fireline.core.db import Database
from fireline.demo import seed
from fireline.oncall import schedules
from fireline.oncall.contacts import reachability_warnings
from fireline.oncall.models import EscalationPolicy, Schedule
from fireline.people.models import User
from tests.conftest import START, LiveServer, Persona


def run(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def ok(args: list[str], env: dict[str, str]) -> str:
    result = run(args, env)
    assert result.exit_code == 0, result.output
    return result.output


def env_of(server: LiveServer, persona: Persona, tmp_path: Path) -> dict[str, str]:
    return {
        "FIRELINE_URL": server.url,
        "FIRELINE_TOKEN": persona.token or "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


@pytest.fixture
def api(live_server: LiveServer, personas: dict[str, Persona]) -> httpx.Client:
    return httpx.Client(base_url=live_server.url, headers=personas["manager"].headers)


def create(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def rota(api: httpx.Client) -> dict[str, Any]:
    """Responder and manager taking daily turns from START in Berlin."""
    return create(
        api,
        "/api/v1/schedules",
        {
            "slug": "primary",
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "users": ["responder@example.com", "manager@example.com"],
                    "handoff": "2026-03-02T10:00",  # 09:00 UTC, START
                    "rotation_unit": "days",
                }
            ],
        },
    )


def test_oncall_now_and_check(
    live_server: LiveServer,
    personas: dict[str, Persona],
    tmp_path: Path,
    rota: dict[str, Any],
) -> None:
    env = env_of(live_server, personas["viewer"], tmp_path)
    [now] = json.loads(ok(["oncall", "now", "--json"], env))
    assert now["user"]["email"] == "responder@example.com"
    assert now["until"].startswith("2026-03-03T09:00")
    [tomorrow] = json.loads(ok(["oncall", "now", "--at", "2026-03-03T12:00Z", "--json"], env))
    assert tomorrow["user"]["email"] == "manager@example.com"
    table = ok(["oncall", "now", "--schedule", "primary"], env)
    assert "Responder <responder@example.com>" in table and "2026-03-03 09:00" in table

    checked = run(["oncall", "check"], env)
    assert checked.exit_code == 1  # nobody on the rota has a contact method yet
    assert "Responder has no contact method" in checked.output
    assert "Manager has no contact method" in checked.output

    refused = run(["oncall", "now", "--at", "next tuesday"], env)
    assert refused.exit_code == 2 and "--at" in refused.output
    unknown = run(["oncall", "now", "--schedule", "nope"], env)
    assert unknown.exit_code != 0 and "no schedule nope" in unknown.output


def test_schedule_commands(
    live_server: LiveServer,
    personas: dict[str, Persona],
    tmp_path: Path,
    rota: dict[str, Any],
) -> None:
    env = env_of(live_server, personas["responder"], tmp_path)
    assert "primary" in ok(["schedule", "list"], env)
    created = json.loads(
        ok(
            [
                "schedule",
                "override",
                "primary",
                "--user",
                "admin@example.com",
                "--start",
                "2026-03-02T12:00Z",
                "--end",
                "2026-03-02T14:00Z",
                "--note",
                "covering lunch",
                "--json",
            ],
            env,
        )
    )
    assert created["note"] == "covering lunch"
    [at_lunch] = json.loads(ok(["oncall", "now", "--at", "2026-03-02T13:00Z", "--json"], env))
    assert at_lunch["user"]["email"] == "admin@example.com"

    backwards = run(
        ["schedule", "override", "primary", "--user", "admin@example.com",
         "--start", "2026-03-02T14:00Z", "--end", "2026-03-02T12:00Z"],
        env,
    )  # fmt: skip
    assert backwards.exit_code != 0 and "ends_at" in backwards.output


def test_page_commands(
    live_server: LiveServer,
    personas: dict[str, Persona],
    tmp_path: Path,
    api: httpx.Client,
    run_jobs: Any,
) -> None:
    create(api, "/api/v1/services", {"slug": "api", "name": "API"})
    create(
        api,
        "/api/v1/escalation-policies",
        {
            "slug": "api-oncall",
            "name": "API on-call",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [{"type": "user", "id": personas["responder"].user_id}],
                }
            ],
        },
    )
    api.put("/api/v1/services/api/escalation-policy", json={"escalation_policy": "api-oncall"})
    key = create(api, "/api/v1/integrations", {"service": "api", "kind": "pagerduty"})["key"]
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Checkout errors", "source": "web-1", "severity": "critical"},
    }
    assert httpx.post(f"{live_server.url}/v2/enqueue", json=event).status_code == 202
    run_jobs()

    env = env_of(live_server, personas["responder"], tmp_path)
    [page] = json.loads(ok(["page", "list", "--json"], env))
    assert (page["status"], page["policy"]) == ("active", "api-oncall")
    assert "acknowledged" in ok(["page", "ack", str(page["id"])], env)
    assert "resolved" in ok(["page", "resolve", str(page["id"])], env)
    assert (
        json.loads(ok(["page", "list", "--status", "resolved", "--json"], env))[0]["id"]
        == page["id"]
    )
    missing = run(["page", "ack", "999"], env)
    assert missing.exit_code != 0 and "no page 999" in missing.output


def test_the_demo_follows_the_sun_and_shows_a_warning(db: Database) -> None:
    with db.transaction() as session:
        seed(session, now=START, password="demo-password-1")
    with db.session() as session:
        sun = session.scalars(
            select(Schedule).where(Schedule.slug == "platform-follow-the-sun")
        ).one()
        names = {u.id: u.name for u in session.scalars(select(User))}
        day = datetime(2026, 3, 4, tzinfo=UTC)
        final = schedules.shifts(session, sun, day, day + timedelta(days=1)).final
        # Covered around the clock, each region in its own daylight.
        assert final[0].start <= day and final[-1].end >= day + timedelta(days=1)
        assert all(a.end == b.start for a, b in pairwise(final))

        def who(hour: int) -> str:
            at = day + timedelta(hours=hour)
            user = schedules.on_call_at(session, sun, at)
            return names[user] if user is not None else "nobody"

        assert who(2) == "Kenji Sato"
        assert who(10) in ("Linus Ops", "Ada Admin")
        assert who(19) == "Grace Hopper"
        policies = set(session.scalars(select(EscalationPolicy.slug)))
        assert {"platform-dba", "payments-oncall"} <= policies
        warnings = reachability_warnings(session)
        assert [w.user for w in warnings] == ["Omar Checkout"]
