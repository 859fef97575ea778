"""The ingest writer prepares a batch before its transaction and applies it
inside: what is decided outside must never outlive a change made in between
(a revoked key, a new grouping), and what is decided is what the pipeline
would have decided in one step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.alerts import pipeline, routing_context
from fireline.alerts.matchers import parse_matcher
from fireline.alerts.models import Alert, Integration
from fireline.alerts.pipeline import IntegrationState, Submission
from fireline.alerts.routing import Context, Rule, SilenceRule
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.alerts.storage import stored_form
from fireline.core.db import Database
from tests.alerts.conftest import MakeIntegration, groups
from tests.conftest import Persona

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def disk_alert(instance: str) -> AlertIn:
    return AlertIn(
        dedup_key=f"disk-{instance}",
        action=Action.trigger,
        severity=Severity.critical,
        summary=f"disk full on {instance}",
        labels={"alertname": "DiskFull", "instance": instance},
        starts_at=NOW,
        group_hint="source-group",
    )


def state_of(db: Database, integration_id: int) -> IntegrationState:
    with db.session() as session:
        row = session.get(Integration, integration_id)
        assert row is not None
        return IntegrationState(
            row.id,
            row.service_id,
            row.key_hash,
            row.revoked_at is not None,
            tuple(row.group_by or ()),
            row.flap_count,
            row.flap_minutes,
        )


def prepared_now(db: Database, integration: dict[str, Any], *alerts: AlertIn) -> Any:
    state = state_of(db, integration["id"])
    submission = Submission(integration["id"], state.key_hash, list(alerts))
    context = routing_context.outside_transaction(db, NOW)
    form = stored_form(db.engine.dialect.name)
    return pipeline.prepare(submission, state, context, NOW, form), context


def apply(db: Database, prepared: Any, context: Context) -> list[pipeline.Outcome]:
    with db.transaction() as session:
        outcomes, _ = pipeline.apply_prepared(session, [prepared], context, NOW)
    return outcomes


def stored_alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_key_revoked_after_preparing_is_refused(
    client: TestClient,
    db: Database,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    integration = make_integration("pagerduty")
    prepared, context = prepared_now(db, integration, disk_alert("db-1"))
    revoked = client.post(
        f"/api/v1/integrations/{integration['id']}/revoke", headers=personas["manager"].headers
    )
    assert revoked.status_code == 200, revoked.text

    [outcome] = apply(db, prepared, context)

    assert outcome.refused and outcome.accepted == 0
    assert stored_alerts(db) == []


def test_a_grouping_changed_after_preparing_is_applied(
    client: TestClient,
    db: Database,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    integration = make_integration("pagerduty")
    prepared, context = prepared_now(db, integration, disk_alert("db-1"), disk_alert("db-2"))
    assert {item.group_key for item in prepared.items} == {"source-group"}
    changed = client.patch(
        f"/api/v1/integrations/{integration['id']}",
        json={"group_by": ["instance"]},
        headers=personas["manager"].headers,
    )
    assert changed.status_code == 200, changed.text

    [outcome] = apply(db, prepared, context)

    assert outcome.accepted == 2
    assert sorted(g.group_key for g in groups(db)) == ["instance=db-1", "instance=db-2"]


def test_prepared_rows_are_stored_as_the_orm_reads_them(
    db: Database, make_integration: MakeIntegration
) -> None:
    integration = make_integration("pagerduty")
    alert = disk_alert("db-1")
    alert.annotations = {"runbook": "https://runbooks.example/disk"}
    alert.raw = {"payload": {"summary": alert.summary}, "extra": [1, 2]}
    prepared, context = prepared_now(db, integration, alert)

    [outcome] = apply(db, prepared, context)

    assert outcome.accepted == 1
    [stored] = stored_alerts(db)
    assert stored.labels == {"alertname": "DiskFull", "instance": "db-1"}
    assert stored.annotations == {"runbook": "https://runbooks.example/disk"}
    assert stored.raw == {"payload": {"summary": "disk full on db-1"}, "extra": [1, 2]}
    assert stored.starts_at == NOW and stored.first_seen_at == NOW and stored.ends_at is None
    assert (stored.status, stored.is_open, stored.count) == ("firing", True, 1)


def test_prepare_routes_and_silences_without_the_database() -> None:
    state = IntegrationState(7, 1, "hash", False, ("alertname",), 4, 30)
    rule = Rule(
        id=3,
        name="databases",
        integration_id=None,
        matchers=(parse_matcher('instance=~"db-.*"'),),
        service_id=2,
        urgency="low",
    )
    silence = SilenceRule(5, (parse_matcher('instance="db-2"'),), "reindexing")
    context = Context(rules=[rule], silences=[silence], service_slugs={1: "api", 2: "db"})
    submission = Submission(7, "hash", [disk_alert("db-1"), disk_alert("db-2")])

    prepared = pipeline.prepare(submission, state, context, NOW, stored_form("sqlite"))

    first, second = prepared.items
    assert (first.route.service_id, first.route.urgency, first.group_key) == (
        2,
        "low",
        "alertname=DiskFull",
    )
    assert first.silence is None and second.silence == "silence:5"
    assert first.row["silenced_by"] is None and second.row["silenced_by"] == "silence:5"
    assert first.row["starts_at"] == "2026-03-02 09:00:00.000000"
