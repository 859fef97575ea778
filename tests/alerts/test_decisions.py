"""Routing rules, silences, maintenance windows, flapping, the quiet-period
sweep, heartbeats and change events, through the API and the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.alerts.pipeline import INCIDENT_JOB, PAGE_JOB
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.incidents.models import Incident
from tests.alerts.conftest import MakeIntegration, groups, jobs_of
from tests.alerts.test_ingest import pd_event
from tests.conftest import Persona


def test_routing_rule_moves_the_alert_and_declares_an_incident(
    client: TestClient,
    db: Database,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
    run_jobs: Callable[[], int],
) -> None:
    key = make_integration("pagerduty")["key"]
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "dba",
            "name": "DBA",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [{"type": "user", "id": personas["responder"].user_id}],
                }
            ],
        },
        headers=personas["manager"].headers,
    )
    assert policy.status_code == 201, policy.text
    rule = client.post(
        "/api/v1/routing-rules",
        json={
            "name": "database pages",
            "matchers": 'component=~"postgres|mysql", severity!="info"',
            "service": "db",
            "urgency": "high",
            "escalation_policy": "dba",
            "incident_action": "declare",
            "incident_severity": "SEV2",
            "incident_type": "outage",
        },
        headers=personas["manager"].headers,
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["matchers"] == ['component=~"postgres|mysql"', 'severity!="info"']

    client.post("/v2/enqueue", json=pd_event(key, component="postgres", severity="warning"))
    client.post("/v2/enqueue", json=pd_event(key, component="redis"))
    routed, unrouted = groups(db)
    assert (routed.service.slug, routed.urgency, routed.escalation_policy) == ("db", "high", "dba")
    assert (unrouted.service.slug, unrouted.urgency) == ("api", "high")
    assert len(jobs_of(db, INCIDENT_JOB)) == 1

    run_jobs()
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert incident.severity == "SEV2" and incident.commander_id is None
    detail = client.get(f"/api/v1/alert-groups/{routed.ref}", headers=personas["viewer"].headers)
    assert detail.json()["incident"] == incident.ref
    kinds = [e["kind"] for e in detail.json()["timeline"]]
    assert kinds[:1] == ["opened"] and "incident" in kinds and "paging" in kinds
    assert "through DBA" in next(
        e["text"] for e in detail.json()["timeline"] if e["kind"] == "paging"
    )


def test_numbers_out_of_range_are_refused_by_field(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    """A huge heartbeat period overflowed the date of its next deadline (a
    500); other huge numbers were stored on SQLite and refused by PostgreSQL's
    integer columns without a field."""
    headers = personas["manager"].headers
    huge = 10**12
    for kind, field, value in (
        ("alertmanager", "auto_resolve_minutes", huge),
        ("alertmanager", "rate_limit_per_minute", huge),
        ("alertmanager", "rate_limit_per_minute", -1),
        ("heartbeat", "heartbeat_period_seconds", huge),
        ("heartbeat", "heartbeat_grace_seconds", huge),
        ("heartbeat", "heartbeat_period_seconds", 5),
    ):
        refused = client.post(
            "/api/v1/integrations",
            json={"service": "api", "kind": kind, field: value},
            headers=headers,
        )
        assert refused.status_code == 422, (field, value, refused.text)
        assert refused.json()["error"]["field"] == field
    year = client.post(
        "/api/v1/integrations",
        json={"service": "api", "kind": "heartbeat", "heartbeat_period_seconds": 365 * 86400},
        headers=headers,
    )
    assert year.status_code == 201, year.text
    integration = client.post(
        "/api/v1/integrations", json={"service": "api", "kind": "grafana"}, headers=headers
    ).json()
    patched = client.patch(
        f"/api/v1/integrations/{integration['id']}",
        json={"auto_resolve_minutes": huge},
        headers=headers,
    )
    assert patched.status_code == 422 and patched.json()["error"]["field"] == "auto_resolve_minutes"
    rule = client.post(
        "/api/v1/routing-rules", json={"name": "x", "position": huge}, headers=headers
    )
    assert rule.status_code == 422 and rule.json()["error"]["field"] == "position"
    listed = client.get("/api/v1/integrations", headers=headers).json()
    assert len(listed) == 2  # the year-long heartbeat and the Grafana integration


def test_bad_rules_and_silences_name_the_field(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    headers = personas["manager"].headers
    bad_regex = client.post(
        "/api/v1/routing-rules", json={"name": "x", "matchers": 'a=~"("'}, headers=headers
    )
    assert bad_regex.status_code == 422 and bad_regex.json()["error"]["field"] == "matchers"
    no_sev = client.post(
        "/api/v1/routing-rules",
        json={"name": "x", "matchers": "a=b", "incident_action": "declare"},
        headers=headers,
    )
    assert no_sev.status_code == 422 and no_sev.json()["error"]["field"] == "incident_severity"
    # What the plan lacks is refused now, not when the rule's alert fires.
    for field, value, expected in (
        ("incident_severity", "SEV9", "unknown severity 'SEV9'; expected one of SEV1"),
        ("incident_type", "x" * 5000, "incident type 'xxx"),
    ):
        declares = {"incident_severity": "SEV2", "incident_type": "outage", field: value}
        unknown = client.post(
            "/api/v1/routing-rules",
            json={"name": "x", "matchers": "a=b", "incident_action": "declare", **declares},
            headers=headers,
        )
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["error"]["field"] == field
        assert unknown.json()["error"]["message"].startswith(expected)
    shorthand = client.post(
        "/api/v1/routing-rules",
        json={
            "name": "x",
            "incident_action": "declare",
            "incident_severity": "2",
            "incident_type": "Outage",
        },
        headers=headers,
    )
    assert (shorthand.json()["incident_severity"], shorthand.json()["incident_type"]) == (
        "SEV2",
        "service_outage",
    )
    backwards = client.post(
        "/api/v1/silences",
        json={"matchers": "a=b", "ends_at": "2020-01-01T00:00:00Z", "comment": "x"},
        headers=headers,
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "ends_at"


def test_silence_keeps_alerts_but_stops_the_page(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    key = make_integration("pagerduty")["key"]
    ends = (clock.now() + timedelta(hours=2)).isoformat()
    silence = client.post(
        "/api/v1/silences",
        json={
            "matchers": 'service="api", component="batch"',
            "ends_at": ends,
            "comment": "rebuild",
        },
        headers=personas["responder"].headers,
    )
    assert silence.status_code == 201, silence.text
    client.post("/v2/enqueue", json=pd_event(key, component="batch", group="g1"))
    [group] = groups(db)
    assert group.status == "silenced" and group.silenced_by == f"silence:{silence.json()['id']}"
    assert jobs_of(db, PAGE_JOB) == []

    # An alert outside the silence wakes the group up.
    client.post("/v2/enqueue", json=pd_event(key, component="web", group="g1"))
    [group] = groups(db)
    assert group.status == "triggered" and group.alert_count == 2
    assert len(jobs_of(db, PAGE_JOB)) == 1

    expired = client.post(
        f"/api/v1/silences/{silence.json()['id']}/expire", headers=personas["responder"].headers
    )
    assert expired.json()["state"] == "expired"


def test_weekly_maintenance_window_silences_only_inside_it(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    key = make_integration("pagerduty")["key"]
    start = clock.now() - timedelta(days=7, minutes=30)  # last week, same time
    window = client.post(
        "/api/v1/maintenance-windows",
        json={
            "service": "api",
            "title": "weekly patching",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "repeat": "weekly",
        },
        headers=personas["responder"].headers,
    )
    assert window.status_code == 201, window.text
    client.post("/v2/enqueue", json=pd_event(key, group="in-window"))
    clock.advance(hours=1)
    client.post("/v2/enqueue", json=pd_event(key, group="after-window"))
    inside, outside = groups(db)
    assert (
        inside.status == "silenced" and inside.silenced_by == f"maintenance:{window.json()['id']}"
    )
    assert outside.status == "triggered"


def test_flapping_group_stops_paging(
    client: TestClient, db: Database, clock: FixedClock, make_integration: MakeIntegration
) -> None:
    key = make_integration("pagerduty")["key"]
    for _ in range(4):
        client.post("/v2/enqueue", json=pd_event(key, dedup_key="flappy", group="f"))
        client.post("/v2/enqueue", json=pd_event(key, "resolve", dedup_key="flappy"))
        clock.advance(minutes=2)
    assert [g.flapping for g in groups(db)] == [False, False, False, True]
    assert len(jobs_of(db, PAGE_JOB)) == 3


def test_group_actions_from_the_api(
    client: TestClient,
    db: Database,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    key = make_integration("pagerduty")["key"]
    client.post("/v2/enqueue", json=pd_event(key))
    ref = groups(db)[0].ref
    headers = personas["responder"].headers
    assert client.post(f"/api/v1/alert-groups/{ref}/acknowledge", headers=headers).json()[
        "status"
    ] == ("acknowledged")
    escalated = client.post(
        f"/api/v1/alert-groups/{ref}/escalate", json={"note": "no answer"}, headers=headers
    )
    assert escalated.json()["status"] == "triggered"
    resolved = client.post(f"/api/v1/alert-groups/{ref}/resolve", headers=headers)
    body = resolved.json()
    assert body["status"] == "resolved" and all(a["status"] == "resolved" for a in body["alerts"])
    assert [e["kind"] for e in body["timeline"]][-3:] == ["acknowledged", "escalated", "resolved"]
    listed = client.get("/api/v1/alert-groups?status=resolved", headers=personas["viewer"].headers)
    assert [g["ref"] for g in listed.json()] == [ref]
    assert client.get("/api/v1/alert-groups?status=nope", headers=headers).status_code == 422


def test_quiet_alerts_resolve_after_the_integrations_period(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    make_integration: MakeIntegration,
    run_jobs: Callable[[], int],
) -> None:
    from fireline.alerts.jobs import sweep  # noqa: F401  (registers the handler)
    from fireline.core.jobs import queue

    key = make_integration("pagerduty", auto_resolve_minutes=30)["key"]
    client.post("/v2/enqueue", json=pd_event(key))
    clock.advance(minutes=31)
    with db.transaction() as session:
        queue.enqueue(session, kind="alerts.sweep", payload={}, now=clock.now())
    run_jobs()
    [group] = groups(db)
    assert group.status == "resolved"


def test_heartbeat_missed_then_recovered(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    make_integration: MakeIntegration,
    run_jobs: Callable[[], int],
) -> None:
    created = make_integration(
        "heartbeat",
        name="nightly-backup",
        heartbeat_period_seconds=3600,
        heartbeat_grace_seconds=300,
    )
    assert created["ingestion_url"].endswith(f"/ping/{created['key']}")
    ping = client.get(f"/ping/{created['key']}")
    assert ping.status_code == 200 and ping.json()["heartbeat"] == "up"
    clock.advance(minutes=30)
    run_jobs()
    assert groups(db) == []
    clock.advance(minutes=40)  # 70 minutes since the ping: period and grace have passed
    run_jobs()
    [group] = groups(db)
    assert group.status == "triggered" and "nightly-backup" in group.title
    assert client.post(f"/ping/{created['key']}").status_code == 200
    [group] = groups(db)
    assert group.status == "resolved"


def test_change_events_show_beside_the_group(
    client: TestClient,
    db: Database,
    make_integration: MakeIntegration,
    personas: dict[str, Persona],
) -> None:
    pd_key = make_integration("pagerduty")["key"]
    change_key = make_integration("change")["key"]
    change = client.post(
        "/v2/change/enqueue",
        json={
            "routing_key": pd_key,
            "payload": {"summary": "Deploy api v1.4.2", "source": "github-actions"},
            "links": [{"href": "https://ci.example.com/run/1", "text": "run"}],
        },
    )
    assert change.status_code == 202, change.text
    plain = client.post(
        f"/ingest/{change_key}", json={"summary": "Flag checkout-v2 on", "kind": "flag"}
    )
    assert plain.status_code == 202, plain.text
    client.post("/v2/enqueue", json=pd_event(pd_key))
    viewer = personas["viewer"].headers
    listed = client.get("/api/v1/changes?service=api", headers=viewer).json()
    assert {c["summary"] for c in listed} == {"Deploy api v1.4.2", "Flag checkout-v2 on"}
    detail = client.get(f"/api/v1/alert-groups/{groups(db)[0].ref}", headers=viewer).json()
    assert len(detail["recent_changes"]) == 2
    assert client.get("/api/v1/changes?service=db", headers=viewer).json() == []
