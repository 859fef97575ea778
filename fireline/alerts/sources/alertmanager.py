"""Prometheus Alertmanager's webhook, ``version: "4"``.

Each alert carries its own status: a notification whose group says
``firing`` can hold alerts that are already resolved. The fingerprint is
Alertmanager's identity for an alert (a hash of its labels), so it is the
dedup key; the notification's ``groupKey`` is the default group.

One notification can hold tens of thousands of alerts (a 10 MB body was seen
under load), so the per-alert work is plain dictionary reads: no regexes, no
copies beyond the one ``raw`` needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    MAX_SOURCE,
    Action,
    AlertIn,
    Link,
    SourceError,
    severity_from_word,
)
from fireline.alerts.sources.common import json_map, parse_time, stable_key, string_map, summary_of

VERSION = "4"
# What every alert's ``raw`` keeps of the notification: enough to find the
# sender again, never the other alerts.
ENVELOPE_KEYS = ("receiver", "groupKey", "externalURL")
STATUSES = {"firing": Action.trigger, "resolved": Action.resolve}


def envelope(body: object, version: str) -> tuple[dict[str, Any], list[Any]]:
    """The notification and its alerts, once the version is the expected one."""
    if not isinstance(body, dict):
        raise SourceError("expected a JSON object (an Alertmanager webhook notification)")
    if body.get("version") != version:
        raise SourceError(f'expected "{version}", got {body.get("version")!r}', "version")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise SourceError("expected a list of alerts", "alerts")
    return body, alerts


def context_of(notification: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: notification[key] for key in keys if notification.get(key) is not None}


def parse(body: object, now: datetime) -> list[AlertIn]:
    notification, alerts = envelope(body, VERSION)
    context = context_of(notification, ENVELOPE_KEYS)
    times: dict[object, datetime | None] = {}
    parsed = []
    for i, item in enumerate(alerts):
        try:
            parsed.append(parse_alert(item, context, times))
        except SourceError as exc:
            raise exc.within(f"alerts[{i}]") from None
    return parsed


def parse_alert(
    item: object, context: dict[str, Any], times: dict[object, datetime | None]
) -> AlertIn:
    """One alert of a notification. Errors name fields within the alert (the
    caller says which alert). ``times`` remembers timestamps already read:
    the alerts of one notification mostly share them."""
    if not isinstance(item, dict):
        raise SourceError("expected an object")
    labels = string_map(item.get("labels"), "labels")
    annotations = json_map(item.get("annotations"), "annotations")
    action = _action(item.get("status", "firing"))
    group_key = context.get("groupKey")
    return AlertIn(
        dedup_key=_dedup_key(item.get("fingerprint"), labels),
        action=action,
        severity=severity_from_word(labels.get("severity")),
        summary=summary_of(
            annotations.get("summary"),
            annotations.get("description"),
            labels.get("alertname"),
        ),
        source=_source(labels, context),
        labels=labels,
        annotations=annotations,
        links=_links(item),
        starts_at=_time(item.get("startsAt"), "startsAt", times),
        ends_at=_time(item.get("endsAt"), "endsAt", times) if action is Action.resolve else None,
        group_hint=group_key if isinstance(group_key, str) and group_key else None,
        raw={**item, "_envelope": context},
    )


def _time(value: object, field: str, times: dict[object, datetime | None]) -> datetime | None:
    # A firing alert's endsAt is Go's zero time in notifications, or at most
    # Alertmanager's guess at expiry; only a resolved alert has really ended.
    if isinstance(value, str) and value in times:
        return times[value]
    parsed = parse_time(value, field)
    if isinstance(value, str):
        times[value] = parsed
    return parsed


def _action(status: object) -> Action:
    action = STATUSES.get(status) if isinstance(status, str) else None
    if action is None:
        raise SourceError('expected "firing" or "resolved"', "status")
    return action


def _dedup_key(fingerprint: object, labels: dict[str, str]) -> str:
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise SourceError("expected a string", "fingerprint")
    # Without a fingerprint (hand-written senders), the labels are the identity,
    # which is what Alertmanager hashes too.
    return (fingerprint or stable_key(sorted(labels.items())))[:MAX_DEDUP_KEY]


def _source(labels: dict[str, str], context: dict[str, Any]) -> str:
    found = labels.get("instance") or labels.get("job") or context.get("externalURL")
    return found[:MAX_SOURCE] if isinstance(found, str) else ""


def _links(item: dict[str, Any]) -> list[Link]:
    generator = item.get("generatorURL")
    return [Link(generator, "source")] if isinstance(generator, str) and generator else []
