"""Demo alerts for `make run`, and the alert storm of ``fireline demo alerts``.

:func:`seed_alerts` gives the demo organisation a morning's worth of alerting:
integrations of each kind, firing and resolved alert groups (made through the
real pipeline, so they look exactly like ingested ones), a silence, a
maintenance window, a routing rule and a few deploys. It is idempotent: once
the demo Alertmanager integration exists it does nothing.

:func:`alert_storm` plans the Alertmanager notifications the storm command
sends to a running server: a database outage across many instances, a few
unrelated warnings, resolves, and one alert that flaps.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts import rules as alert_rules
from fireline.alerts import service as alerts
from fireline.alerts import silences as alert_silences
from fireline.alerts.heartbeats import deadline, schedule_check
from fireline.alerts.models import AlertGroup, ChangeEvent, Heartbeat, Integration
from fireline.alerts.pipeline import Submission
from fireline.alerts.shape import AlertIn
from fireline.alerts.sources import alertmanager, pagerduty
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
ALERTMANAGER_URL = "http://alertmanager.demo.internal:9093"
PROMETHEUS_URL = "http://prometheus.demo.internal:9090"

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
    lag = _am_alerts("PostgresReplicationLag", "warning", ["pg-replica-2"], "replication lag 94 s")
    apply(prometheus, now - 2 * D, _notification(lag, now - 2 * D))
    apply(
        prometheus,
        now - 2 * D + 26 * M,
        _notification(lag, now - 2 * D, resolved_at=now - 2 * D + 26 * M),
    )

    # Yesterday: the payment provider's webhooks failed for a quarter of an hour.
    webhook = _pd_event(
        synthetics_key,
        "trigger",
        "payment-webhooks",
        "Payment provider webhook failures above 5%",
        "error",
    )
    apply(synthetics, now - D - 3 * H, [_pd(webhook, now - D - 3 * H)])
    recovered = now - D - 3 * H + 14 * M
    apply(synthetics, recovered, [_pd({**webhook, "event_action": "resolve"}, recovered)])

    # This morning, the connection pooler flapped: the fourth opening is marked.
    pool = _am_alerts(
        "PgBouncerPoolSaturated", "warning", ["pgbouncer-1"], "client wait queue above 50"
    )
    for n in range(4):
        opened = now - 70 * M + n * 9 * M
        apply(prometheus, opened, _notification(pool, opened))
        if n < 3:
            closed = opened + 4 * M
            apply(prometheus, closed, _notification(pool, opened, resolved_at=closed))

    # An hour ago: a disk forecast on the backup host, kept quiet by the silence.
    disk = _am_alerts(
        "DiskWillFillIn4Hours", "warning", ["pg-backup-1"], "/var/lib/pgbackup fills in 3h40m"
    )
    apply(prometheus, now - 55 * M, _notification(disk, now - 55 * M))

    # Eighteen minutes ago: connections exhausted on the primary and both replicas.
    exhausted = _am_alerts(
        "PostgresTooManyConnections",
        "critical",
        ["pg-main-1", "pg-replica-1", "pg-replica-2"],
        "connections at 98% of max_connections",
    )
    apply(prometheus, now - 18 * M, _notification(exhausted[:1], now - 18 * M))
    apply(prometheus, now - 16 * M, _notification(exhausted, now - 18 * M))
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
    latency = _pd_event(
        synthetics_key, "trigger", "checkout-latency", "Checkout p99 latency above 2 s", "error"
    )
    apply(synthetics, now - 7 * M, [_pd(latency, now - 7 * M)])
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


# --- Alertmanager and PagerDuty shapes ---------------------------------------------------


def fingerprint(labels: dict[str, str]) -> str:
    """A stable 16-hex identity for a label set, as Alertmanager gives each alert."""
    text = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def am_alert(
    labels: dict[str, str],
    summary: str,
    *,
    starts_at: datetime,
    resolved_at: datetime | None = None,
) -> dict[str, Any]:
    """One alert of an Alertmanager webhook notification."""
    expression = labels.get("alertname", "up")
    return {
        "status": "resolved" if resolved_at else "firing",
        "labels": labels,
        "annotations": {
            "summary": summary,
            "runbook_url": f"https://runbooks.demo.internal/{expression}",
        },
        "startsAt": _rfc3339(starts_at),
        "endsAt": _rfc3339(resolved_at) if resolved_at else "0001-01-01T00:00:00Z",
        "generatorURL": f"{PROMETHEUS_URL}/graph?g0.expr={expression}",
        "fingerprint": fingerprint(labels),
    }


def group_key_of(group_labels: dict[str, str]) -> str:
    """Alertmanager's ``groupKey`` for a group of the root route."""
    matchers = ",".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
    return "{}:{" + matchers + "}"


def am_notification(group_labels: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """An Alertmanager ``version: "4"`` webhook body for one group's alerts."""
    common = dict(items[0]["labels"]) if items else {}
    for item in items[1:]:
        common = {k: v for k, v in common.items() if item["labels"].get(k) == v}
    firing = any(item["status"] == "firing" for item in items)
    return {
        "version": "4",
        "groupKey": group_key_of(group_labels),
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "fireline",
        "groupLabels": group_labels,
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": ALERTMANAGER_URL,
        "alerts": items,
    }


@dataclass(frozen=True)
class _Labelled:
    labels: dict[str, str]
    summary: str


def _am_alerts(alertname: str, severity: str, hosts: list[str], what: str) -> list[_Labelled]:
    return [
        _Labelled(
            {
                "alertname": alertname,
                "severity": severity,
                "cluster": "main",
                "instance": f"{host}:9187",
                "job": "postgres-exporter",
            },
            f"{host}: {what}",
        )
        for host in hosts
    ]


def _notification(
    items: list[_Labelled], started: datetime, *, resolved_at: datetime | None = None
) -> list[AlertIn]:
    body = am_notification(
        {"alertname": items[0].labels["alertname"]},
        [am_alert(i.labels, i.summary, starts_at=started, resolved_at=resolved_at) for i in items],
    )
    return alertmanager.parse(body, resolved_at or started)


def _pd_event(key: str, action: str, dedup_key: str, summary: str, severity: str) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": action,
        "dedup_key": dedup_key,
        "client": "synthetics",
        "client_url": "https://synthetics.demo.internal/checks/checkout",
        "payload": {
            "summary": summary,
            "source": "synthetics-eu-west-1",
            "severity": severity,
            "component": "checkout",
            "group": dedup_key,
            "class": "synthetic check",
            "custom_details": {"region": "eu-west-1", "check": dedup_key, "runs_failed": "3 of 3"},
        },
    }


def _pd(event: dict[str, Any], now: datetime) -> AlertIn:
    return pagerduty.parse_event(event, now, lambda: "")[1]


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the alert storm ---------------------------------------------------------------------


@dataclass(frozen=True)
class StormBatch:
    """One webhook request: an Alertmanager notification for one group."""

    body: dict[str, Any]

    @property
    def size(self) -> int:
        return len(self.body["alerts"])


@dataclass
class StormStep:
    at: float  # seconds after the start
    batches: list[StormBatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what changed, for a person to read

    @property
    def size(self) -> int:
        return sum(b.size for b in self.batches)


OUTAGE = "PostgresDown"
FLAP_COUNT = 4  # an integration's default: this many openings in 30 minutes is flapping
FLAPPER = "PostgresReplicationLag"
WARNINGS = (
    # alertname, severity, host, summary, fires at, resolves at (fractions of the run)
    (
        "DiskWillFillIn4Hours",
        "warning",
        "pg-backup-1",
        "/var/lib/pgbackup fills in 3h40m",
        0.15,
        0.8,
    ),
    ("HighRequestLatency", "warning", "api-7", "p99 latency 1.8 s on /v1/orders", 0.35, None),
    (
        "CertificateExpiresSoon",
        "info",
        "db-proxy-1",
        "TLS certificate expires in 9 days",
        0.5,
        None,
    ),
)


def alert_storm(
    *, duration: float, rate: float, service: str, started: datetime, run: str = "1"
) -> list[StormStep]:
    """The storm's requests, step by step, sending about ``rate`` alerts a second.

    Alertmanager re-sends a group's whole notification while it changes, so the
    outage group carries most of the volume: its instances fail one after
    another, and later half of them recover. The rest is a few warnings (each
    its own group), their resolves, and a replication-lag alert that fires and
    resolves over and over until fireline marks it flapping. Every alert and
    group carries the label ``storm=<run>``, so each run makes groups of its own."""
    steps = max(10, min(600, round(duration)))
    target = max(1.0, rate * duration)
    instances = max(3, round(rate * duration / steps))
    plan = _storm(steps, duration, instances, service, started, run)
    sent = sum(step.size for step in plan)
    if sent and abs(sent - target) > 0.05 * target:
        instances = max(3, round(instances * target / sent))
        plan = _storm(steps, duration, instances, service, started, run)
    return plan


def _storm(
    steps: int, duration: float, instances: int, service: str, started: datetime, run: str
) -> list[StormStep]:
    tick = duration / steps
    hosts = [f"pg-shard-{n:02d}" for n in range(1, instances + 1)]
    outage_labels = [
        {
            "alertname": OUTAGE,
            "severity": "critical",
            "service": service,
            "storm": run,
            "cluster": "shards",
            "instance": f"{host}:5432",
            "job": "postgres",
        }
        for host in hosts
    ]
    fired_at: dict[int, datetime] = {}
    resolved: set[int] = set()
    # Three short bursts, then it stays on: the fourth group opened is marked flapping.
    flap_period = max(1, steps // 10)
    flap_start, flap_end = math.ceil(0.1 * steps), math.floor(0.7 * steps)
    flap_labels = {
        "alertname": FLAPPER,
        "severity": "warning",
        "service": service,
        "storm": run,
        "cluster": "shards",
        "instance": "pg-replica-1:5432",
        "job": "postgres",
    }
    flap_firing = False
    flap_opens = 0
    flap_since = started
    plan = []
    for i in range(steps):
        p = i / steps
        at = started + timedelta(seconds=i * tick)
        step = StormStep(at=i * tick)
        # The outage: instances fail over the first quarter; half recover after 70%.
        failing = 0 if p < 0.02 else min(instances, math.ceil(instances * (p + 0.02) / 0.25))
        recovering = (
            0 if p < 0.7 else min(instances // 2, math.ceil(instances / 2 * (p - 0.7) / 0.2))
        )
        newly_failing = [n for n in range(failing) if n not in fired_at]
        for n in newly_failing:
            fired_at[n] = at
        newly_resolved = [n for n in range(recovering) if n not in resolved]
        resolved.update(newly_resolved)
        items = [
            am_alert(
                outage_labels[n],
                f"{hosts[n]} does not accept connections",
                starts_at=fired_at[n],
                resolved_at=at if n in newly_resolved else None,
            )
            for n in sorted(fired_at)
            if n not in resolved or n in newly_resolved
        ]
        if items:
            step.batches.append(
                StormBatch(am_notification({"alertname": OUTAGE, "storm": run}, items))
            )
        if newly_failing:
            step.notes.append(
                f"{OUTAGE}: {len(fired_at)} of {instances} instances down (one group, however many)"
            )
        if newly_resolved:
            step.notes.append(f"{OUTAGE}: {len(newly_resolved)} instance(s) recovered")
        # Unrelated warnings, each its own group: fire once, resolve once.
        for name, severity, host, summary, fires, ends in WARNINGS:
            labels = {
                "alertname": name,
                "severity": severity,
                "service": service,
                "storm": run,
                "instance": f"{host}:9100",
                "job": "node",
            }
            if _crosses(fires, i, steps):
                step.batches.append(
                    StormBatch(
                        am_notification(
                            {"alertname": name, "storm": run},
                            [am_alert(labels, f"{host}: {summary}", starts_at=at)],
                        )
                    )
                )
                step.notes.append(f"{name} ({severity}) on {host}: a separate group")
            if ends is not None and _crosses(ends, i, steps):
                fired = started + timedelta(seconds=fires * duration)
                body = am_alert(labels, f"{host}: {summary}", starts_at=fired, resolved_at=at)
                step.batches.append(
                    StormBatch(am_notification({"alertname": name, "storm": run}, [body]))
                )
                step.notes.append(f"{name} on {host} resolved")
        # The flapping alert: on, off, on, off... and at last it stays on.
        want = i >= flap_end or (i >= flap_start and ((i - flap_start) // flap_period) % 2 == 0)
        if want != flap_firing:
            if want:
                flap_since = at
                flap_opens += 1
            item = am_alert(
                flap_labels,
                "pg-replica-1: replication lag above 30 s",
                starts_at=flap_since,
                resolved_at=None if want else at,
            )
            step.batches.append(
                StormBatch(am_notification({"alertname": FLAPPER, "storm": run}, [item]))
            )
            step.notes.append(_flap_note(want, flap_opens))
            flap_firing = want
        plan.append(step)
    return plan


def _flap_note(firing: bool, opens: int) -> str:
    if not firing:
        return f"{FLAPPER} on pg-replica-1 resolves"
    if opens == 1:
        return f"{FLAPPER} on pg-replica-1 fires"
    if opens < FLAP_COUNT:
        return f"{FLAPPER} on pg-replica-1 fires again: a new group ({opens} so far)"
    return f"{FLAPPER} on pg-replica-1 fires again ({opens} groups): marked flapping, no page"


def _crosses(fraction: float, i: int, steps: int) -> bool:
    """True on the one step where the run passes ``fraction`` of its length."""
    return i == min(steps - 1, math.ceil(fraction * steps))
