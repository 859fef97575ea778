"""Demo alerts for `make run`.

:func:`seed_alerts` gives the demo organisation a morning's worth of alerting:
integrations of each kind, firing and resolved alert groups (made through the
real pipeline, so they look exactly like ingested ones), a silence, a
maintenance window, a routing rule and a few deploys. It is idempotent: once
the demo Alertmanager integration exists it does nothing.

The payloads it sends through the pipeline are built in ``demo_payloads``;
the storm of ``fireline demo alerts`` is planned in ``demo_storm``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts import rules as alert_rules
from fireline.alerts import service as alerts
from fireline.alerts import silences as alert_silences
from fireline.alerts.demo_payloads import am_alerts, group_key_of, notification, pd_alert, pd_event
from fireline.alerts.heartbeats import deadline, schedule_check
from fireline.alerts.models import AlertGroup, ChangeEvent, Heartbeat, Integration
from fireline.alerts.pipeline import Submission
from fireline.alerts.shape import AlertIn
from fireline.catalog import service as catalog
from fireline.catalog.models import Service
from fireline.core.audit import Actor
from fireline.core.deps import Principal, principal_of
from fireline.people.models import Team, User
from fireline.plan.loader import default_plan

ACTOR = Actor.system("fireline demo")
PROMETHEUS = "Prometheus Alertmanager"
SYNTHETICS = "Checkout synthetics (PagerDuty Events API)"
BACKUP = "Nightly base backup"
DEPLOYS = "Deploy pipeline"

# Services the demo alerts need, created only when missing: slug, name, team, tier.
NEEDED_SERVICES = (
    ("postgres-main", "Main PostgreSQL", "platform", 1),
    ("checkout", "Checkout", "payments", 1),
    ("search", "Search", "platform", 3),
)
# The people who act in the demo, in order of preference.
RESPONDERS = ("linus@demo.fireline.dev", "admin@demo.fireline.dev")

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def seed_alerts(session: Session, now: datetime) -> bool:
    """Add the demo alerting data unless it is there already; True when added."""
    if session.scalar(select(Integration.id).where(Integration.name == PROMETHEUS)) is not None:
        return False
    person = _demo_person(session)
    services = {
        slug: _service(session, now, slug, name, team, tier)
        for slug, name, team, tier in NEEDED_SERVICES
    }

    prometheus, _ = alerts.create_integration(
        session,
        actor=ACTOR,
        now=now - 30 * D,
        spec=alerts.IntegrationSpec(
            service=services["postgres-main"].slug, kind="alertmanager", name=PROMETHEUS
        ),
    )
    synthetics, synthetics_key = alerts.create_integration(
        session,
        actor=ACTOR,
        now=now - 30 * D,
        spec=alerts.IntegrationSpec(
            service=services["checkout"].slug,
            kind="pagerduty",
            name=SYNTHETICS,
            auto_resolve_minutes=240,
        ),
    )
    _heartbeat(session, now, services["postgres-main"].slug)
    deploys, _ = alerts.create_integration(
        session,
        actor=ACTOR,
        now=now - 30 * D,
        spec=alerts.IntegrationSpec(service=services["checkout"].slug, kind="change", name=DEPLOYS),
    )
    alert_rules.create_rule(
        session,
        actor=ACTOR,
        now=now - 20 * D,
        spec=alert_rules.RuleSpec(
            name="Critical PostgreSQL alerts page the platform DBAs",
            matchers='alertname=~"Postgres.*", severity="critical"',
            integration=prometheus.id,
            urgency="high",
            escalation_policy="platform-dba",
        ),
        plan=default_plan(),  # the rule declares nothing, so any plan does
    )
    if person is not None:
        alert_silences.add_maintenance(
            session,
            principal=person,
            now=now - 7 * D,
            service=services["search"].slug,
            title="Search cluster rolling restart",
            starts_at=_next_sunday(now, hour=2),
            ends_at=_next_sunday(now, hour=2) + 2 * H,
            repeat="weekly",
        )
        alert_silences.add_silence(
            session,
            principal=person,
            now=now - 2 * H,
            matchers='alertname="DiskWillFillIn4Hours", instance=~"pg-backup-.*"',
            starts_at=now - 2 * H,
            ends_at=now + 6 * H,
            comment="The backup volume is being grown to 4 TB; the forecast is wrong until then.",
        )
    _changes(session, now, deploys, services["checkout"])

    def apply(integration: Integration, at: datetime, items: list[AlertIn]) -> None:
        pipeline.apply(session, [Submission(integration.id, integration.key_hash, items)], at)

    # Two days ago: replication lag on one replica, over within half an hour.
    lag = am_alerts("PostgresReplicationLag", "warning", ["pg-replica-2"], "replication lag 94 s")
    apply(prometheus, now - 2 * D, notification(lag, now - 2 * D))
    apply(
        prometheus,
        now - 2 * D + 26 * M,
        notification(lag, now - 2 * D, resolved_at=now - 2 * D + 26 * M),
    )

    # Yesterday: the payment provider's webhooks failed for a quarter of an hour.
    webhook = pd_event(
        synthetics_key,
        "trigger",
        "payment-webhooks",
        "Payment provider webhook failures above 5%",
        "error",
    )
    apply(synthetics, now - D - 3 * H, [pd_alert(webhook, now - D - 3 * H)])
    recovered = now - D - 3 * H + 14 * M
    apply(synthetics, recovered, [pd_alert({**webhook, "event_action": "resolve"}, recovered)])

    # This morning, the connection pooler flapped: the fourth opening is marked.
    pool = am_alerts(
        "PgBouncerPoolSaturated", "warning", ["pgbouncer-1"], "client wait queue above 50"
    )
    for n in range(4):
        opened = now - 70 * M + n * 9 * M
        apply(prometheus, opened, notification(pool, opened))
        if n < 3:
            closed = opened + 4 * M
            apply(prometheus, closed, notification(pool, opened, resolved_at=closed))

    # An hour ago: a disk forecast on the backup host, kept quiet by the silence.
    disk = am_alerts(
        "DiskWillFillIn4Hours", "warning", ["pg-backup-1"], "/var/lib/pgbackup fills in 3h40m"
    )
    apply(prometheus, now - 55 * M, notification(disk, now - 55 * M))

    # Eighteen minutes ago: connections exhausted on the primary and both replicas.
    exhausted = am_alerts(
        "PostgresTooManyConnections",
        "critical",
        ["pg-main-1", "pg-replica-1", "pg-replica-2"],
        "connections at 98% of max_connections",
    )
    apply(prometheus, now - 18 * M, notification(exhausted[:1], now - 18 * M))
    apply(prometheus, now - 16 * M, notification(exhausted, now - 18 * M))
    if person is not None:
        group = session.scalar(
            select(AlertGroup).where(
                AlertGroup.service_id == services["postgres-main"].id,
                AlertGroup.group_key == group_key_of({"alertname": "PostgresTooManyConnections"}),
                AlertGroup.is_open,
            )
        )
        if group is not None:
            alerts.acknowledge(session, person, now - 12 * M, group)

    # Seven minutes ago, five minutes after a deploy: checkout got slow.
    latency = pd_event(
        synthetics_key, "trigger", "checkout-latency", "Checkout p99 latency above 2 s", "error"
    )
    apply(synthetics, now - 7 * M, [pd_alert(latency, now - 7 * M)])
    return True


def _demo_person(session: Session) -> Principal | None:
    for email in RESPONDERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            return principal_of(user, "demo")
    return None


def _service(
    session: Session, now: datetime, slug: str, name: str, team: str, tier: int
) -> Service:
    found = session.scalar(select(Service).where(Service.slug == slug))
    if found is not None:
        return found
    has_team = session.scalar(select(Team.id).where(Team.slug == team)) is not None
    return catalog.create_service(
        session,
        actor=ACTOR,
        now=now,
        slug=slug,
        name=name,
        owner_team=team if has_team else None,
        tier=tier,
    )


def _heartbeat(session: Session, now: datetime, service: str) -> None:
    row, _ = alerts.create_integration(
        session,
        actor=ACTOR,
        now=now - 30 * D,
        spec=alerts.IntegrationSpec(
            service=service,
            kind="heartbeat",
            name=BACKUP,
            heartbeat_period_seconds=24 * 3600,
            heartbeat_grace_seconds=2 * 3600,
        ),
    )
    heartbeat = session.scalar(select(Heartbeat).where(Heartbeat.integration_id == row.id))
    assert heartbeat is not None
    # The backup pinged at 03:00 last night, so the next deadline is tomorrow morning.
    pinged = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if pinged > now:
        pinged -= D
    heartbeat.status = "up"
    heartbeat.last_ping_at = pinged
    heartbeat.due_at = deadline(heartbeat, pinged)
    schedule_check(session, heartbeat, now)


def _changes(session: Session, now: datetime, integration: Integration, checkout: Service) -> None:
    for ago, kind, summary, version in (
        (D + 5 * H, "deploy", "Deploy checkout 2026.11.2", "2026.11.2"),
        (2 * H, "flag", "Feature flag new-tax-engine on for 50% of baskets", None),
        (12 * M, "deploy", "Deploy checkout 2026.11.3 (canary promoted to 100%)", "2026.11.3"),
    ):
        details: dict[str, Any] = {"environment": "production", "actor": "ci"}
        links = []
        if version:
            details["version"] = version
            links.append(
                {"href": f"https://ci.demo.internal/checkout/releases/{version}", "text": "release"}
            )
        session.add(
            ChangeEvent(
                service_id=checkout.id,
                integration_id=integration.id,
                kind=kind,
                summary=summary,
                source="github-actions" if kind == "deploy" else "flags",
                at=now - ago,
                received_at=now - ago,
                links=links,
                details=details,
                raw={"summary": summary, "kind": kind, "details": details},
            )
        )
    session.flush()


def _next_sunday(now: datetime, *, hour: int) -> datetime:
    days = (6 - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
