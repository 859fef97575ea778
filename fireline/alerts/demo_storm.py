"""The alert storm of ``fireline demo alerts``: the Alertmanager notifications
it sends a running server, step by step. A database outage across many
instances, a few unrelated warnings, resolves, and one alert that flaps, so
a newcomer can watch grouping and flap detection work."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fireline.alerts.demo_payloads import am_alert, am_notification


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
