"""Prometheus Alertmanager's webhook, ``version: "4"``.

Each alert carries its own status: a notification whose group says
``firing`` can hold alerts that are already resolved. The fingerprint is
Alertmanager's identity for an alert (a hash of its labels), so it is the
dedup key; the notification's ``groupKey`` is the default group."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    Action,
    AlertIn,
    Link,
    SourceError,
    severity_from_word,
)
from fireline.alerts.sources.common import json_map, parse_time, stable_key, string_map, summary_of

VERSION = "4"


def envelope(body: Any, version: str) -> tuple[dict[str, Any], list[Any]]:
    if not isinstance(body, dict):
        raise SourceError("expected a JSON object (an Alertmanager webhook notification)")
    if body.get("version") != version:
        raise SourceError(f'expected "{version}"', "version")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise SourceError("expected a list of alerts", "alerts")
    return body, alerts


def parse(body: Any, now: datetime) -> list[AlertIn]:
    notification, alerts = envelope(body, VERSION)
    context = _context(notification)
    return [parse_alert(item, f"alerts[{i}]", context) for i, item in enumerate(alerts)]


def _context(notification: dict[str, Any]) -> dict[str, Any]:
    return {
        key: notification.get(key)
        for key in ("receiver", "groupKey", "externalURL")
        if notification.get(key) is not None
    }


def parse_alert(item: Any, where: str, context: dict[str, Any]) -> AlertIn:
    if not isinstance(item, dict):
        raise SourceError("expected an object", where)
    labels = string_map(item.get("labels"), f"{where}.labels")
    annotations = json_map(item.get("annotations"), f"{where}.annotations")
    status = item.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise SourceError('expected "firing" or "resolved"', f"{where}.status")
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise SourceError("expected a string", f"{where}.fingerprint")
    dedup_key = (fingerprint or stable_key(sorted(labels.items())))[:MAX_DEDUP_KEY]
    links = []
    generator = item.get("generatorURL")
    if isinstance(generator, str) and generator:
        links.append(Link(generator, "source"))
    group_key = context.get("groupKey")
    return AlertIn(
        dedup_key=dedup_key,
        action=Action.trigger if status == "firing" else Action.resolve,
        severity=severity_from_word(labels.get("severity")),
        summary=summary_of(
            annotations.get("summary"),
            annotations.get("description"),
            labels.get("alertname"),
        ),
        source=labels.get("instance") or labels.get("job") or str(context.get("externalURL", "")),
        labels=labels,
        annotations=annotations,
        links=links,
        starts_at=parse_time(item.get("startsAt"), f"{where}.startsAt"),
        ends_at=parse_time(item.get("endsAt"), f"{where}.endsAt") if status == "resolved" else None,
        group_hint=group_key if isinstance(group_key, str) else None,
        raw={**item, "_envelope": context} if context else item,
    )
