"""The demo's quarter of history, and `fireline insights` against a running server."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fireline.cli import main
from fireline.core import audit, deps
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.demo import DEMO_ADMIN_EMAIL, seed
from fireline.incidents.models import Incident
from fireline.insights import params, report
from fireline.insights.demo import KEY, seed_history
from fireline.people.models import User
from fireline.plan import default_plan
from tests.conftest import START, LiveServer, Persona
from tests.insights.conftest import incident


def history_count(db: Database) -> int:
    with db.session() as session:
        like = KEY.format("%")
        return (
            session.scalar(
                select(func.count())
                .select_from(Incident)
                .where(Incident.idempotency_key.like(like))
            )
            or 0
        )


def test_the_demo_has_a_quarter_worth_showing(db: Database) -> None:
    now = START + timedelta(days=100)
    with db.transaction() as session:
        seed(session, now=now, password="demo password 1")
    assert history_count(db) == 36
    plan = default_plan()
    with db.transaction() as session:
        assert seed_history(session, plan, now) is False  # once only
        admin = session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
        assert admin is not None
        asked = params.Asked(preset="90d")
        period, scope = params.resolve(session, plan, now, asked)
        built = report.build(
            session, plan, deps.principal_of(admin, "demo"), period=period, scope=scope, now=now
        )
        assert audit.verify(session).ok
    current = built.current
    assert len(current.incidents) >= 30
    assert len(current.by_service) >= 5 and len(current.by_severity) >= 3
    assert current.sla_overall.met > current.sla_overall.missed > 0  # some breached
    assert 3 <= len(current.repeats) <= len(current.incidents) // 2
    items = current.action_items
    assert items.on_time > 0 and items.late > 0 and items.open_overdue > 0
    assert current.pages > 10 and current.off_hours > 0
    assert all(summary.count > 0 for summary in current.times.values())
    assert sum(1 for bucket in current.over_time if bucket.total) >= 10
    assert history_count(db) == 36


def test_demo_history_needs_the_demo_organisation(db: Database) -> None:
    with db.transaction() as session:
        assert seed_history(session, default_plan(), START) is False
    assert history_count(db) == 0


@pytest.mark.usefixtures("catalogue")
def test_cli_prints_the_numbers_and_the_json(
    live_server: LiveServer,
    personas: dict[str, Persona],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    client = TestClient(live_server.app)  # type: ignore[arg-type]
    incident(client, clock, personas["responder"], severity="SEV1", resolve_after=50)
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["viewer"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    runner = CliRunner()
    text = runner.invoke(main, ["insights", "--since", "2026-02-01"], env=env)
    assert text.exit_code == 0, text.output
    assert "2026-02-01 to 2026-03-02 (30 days, UTC)" in text.output
    assert "Time to resolve (median)" in text.output and "1 h 00 min" in text.output
    as_json = runner.invoke(main, ["insights", "--json", "--severity", "SEV1"], env=env)
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["times"]["mttr"]["median_seconds"] == 3600 and body["filters"]["severity"] == "SEV1"
    bad = runner.invoke(main, ["insights", "--since", "March"], env=env)
    assert bad.exit_code != 0 and "--since" in bad.output
    refused = runner.invoke(main, ["insights", "--service", "nope"], env=env)
    assert refused.exit_code != 0 and "no service 'nope'" in refused.output
