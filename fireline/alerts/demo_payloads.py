"""Alertmanager notifications and PagerDuty events as real sources send
them, for the demo's alerts and the alert storm."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fireline.alerts.shape import AlertIn
from fireline.alerts.sources import alertmanager, pagerduty

ALERTMANAGER_URL = "http://alertmanager.demo.internal:9093"
PROMETHEUS_URL = "http://prometheus.demo.internal:9090"


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
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(resolved_at) if resolved_at else "0001-01-01T00:00:00Z",
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
class Labelled:
    labels: dict[str, str]
    summary: str


def am_alerts(alertname: str, severity: str, hosts: list[str], what: str) -> list[Labelled]:
    return [
        Labelled(
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


def notification(
    items: list[Labelled], started: datetime, *, resolved_at: datetime | None = None
) -> list[AlertIn]:
    body = am_notification(
        {"alertname": items[0].labels["alertname"]},
        [am_alert(i.labels, i.summary, starts_at=started, resolved_at=resolved_at) for i in items],
    )
    return alertmanager.parse(body, resolved_at or started)


def pd_event(key: str, action: str, dedup_key: str, summary: str, severity: str) -> dict[str, Any]:
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


def pd_alert(event: dict[str, Any], now: datetime) -> AlertIn:
    return pagerduty.parse_event(event, now, lambda: "")[1]


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
