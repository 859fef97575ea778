"""PagerDuty Events API v2 (``/v2/enqueue``) and Change Events
(``/v2/change/enqueue``), validated the way PagerDuty documents them: every
problem is reported at once, in its 400 body's ``errors`` list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    MAX_SUMMARY,
    Action,
    AlertIn,
    ChangeIn,
    Link,
    Severity,
    SourceError,
)
from fireline.alerts.sources.common import parse_time

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = tuple(s.value for s in Severity)
LABEL_FIELDS = ("component", "group", "class", "source")
CHANGE_KINDS = {"deploy": "deploy", "config": "config", "flag": "flag", "feature_flag": "flag"}


class PagerDutyInvalid(SourceError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _routing_key(body: dict[str, Any], errors: list[str]) -> str:
    key = body.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        errors.append("'routing_key' is missing or blank")
        return ""
    if len(key) > 255:
        errors.append("'routing_key' is longer than 255 characters")
    return key.strip()


def _links(body: dict[str, Any], errors: list[str]) -> list[Link]:
    found: list[Link] = []
    links = body.get("links", [])
    if not isinstance(links, list):
        errors.append("'links' must be a list of {href, text}")
        return found
    for i, link in enumerate(links):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            errors.append(f"'links[{i}].href' must be a string")
            continue
        found.append(Link(link["href"], str(link.get("text") or "")))
    images = body.get("images", [])
    if not isinstance(images, list):
        errors.append("'images' must be a list of {src, href, alt}")
    else:
        for i, image in enumerate(images):
            if not isinstance(image, dict) or not isinstance(image.get("src"), str):
                errors.append(f"'images[{i}].src' must be a string")
            elif isinstance(image.get("href"), str):
                found.append(Link(image["href"], str(image.get("alt") or "image")))
    client_url = body.get("client_url")
    if isinstance(client_url, str) and client_url:
        found.append(Link(client_url, str(body.get("client") or "client")))
    return found


def parse_event(body: Any, now: datetime, new_key: Callable[[], str]) -> tuple[str, AlertIn]:
    if not isinstance(body, dict):
        raise PagerDutyInvalid(["the event must be a JSON object"])
    errors: list[str] = []
    routing_key = _routing_key(body, errors)
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > MAX_DEDUP_KEY):
        errors.append(f"'dedup_key' must be a string of at most {MAX_DEDUP_KEY} characters")
        dedup_key = None
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required to {action}")
    links = _links(body, errors)
    payload = body.get("payload")
    labels: dict[str, str] = {}
    summary, severity, starts_at, details = "", Severity.info, None, None
    if action == "trigger":
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            summary, severity, starts_at, details, labels = _trigger_payload(payload, errors)
    if errors:
        raise PagerDutyInvalid(errors)
    annotations: dict[str, Any] = {}
    if details is not None:
        annotations["custom_details"] = details
    group = labels.get("group")
    return routing_key, AlertIn(
        dedup_key=dedup_key or new_key(),
        action=Action(str(action)),
        severity=severity,
        summary=summary or f"{action} {dedup_key}",
        source=labels.get("source", ""),
        labels=labels,
        annotations=annotations,
        links=links,
        starts_at=starts_at,
        group_hint=group,
        raw={k: v for k, v in body.items() if k != "routing_key"},
    )


def _trigger_payload(
    payload: dict[str, Any], errors: list[str]
) -> tuple[str, Severity, datetime | None, Any, dict[str, str]]:
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
        summary = ""
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append("'payload.source' is missing or blank")
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        errors.append("'payload.severity' must be one of critical, error, warning, info")
    starts_at = None
    try:
        starts_at = parse_time(payload.get("timestamp"), "payload.timestamp")
    except SourceError:
        errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
    labels: dict[str, str] = {}
    for name in LABEL_FIELDS:
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(f"'payload.{name}' must be a string")
        else:
            labels[name] = value
    if severity in SEVERITIES:
        labels["severity"] = str(severity)
    return (
        (summary or "")[:MAX_SUMMARY],
        Severity(severity) if severity in SEVERITIES else Severity.info,
        starts_at,
        payload.get("custom_details"),
        labels,
    )


def parse_change(body: Any, now: datetime) -> tuple[str, ChangeIn]:
    if not isinstance(body, dict):
        raise PagerDutyInvalid(["the change event must be a JSON object"])
    errors: list[str] = []
    routing_key = _routing_key(body, errors)
    payload = body.get("payload")
    summary: str = ""
    timestamp: datetime | None = None
    source: str = ""
    details: dict[str, Any] = {}
    if not isinstance(payload, dict):
        errors.append("'payload' is missing or not an object")
    else:
        given = payload.get("summary")
        if not isinstance(given, str) or not given.strip():
            errors.append("'payload.summary' is missing or blank")
        elif len(given) > MAX_SUMMARY:
            errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
        else:
            summary = given
        try:
            timestamp = parse_time(payload.get("timestamp"), "payload.timestamp")
        except SourceError:
            errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
        given_source = payload.get("source")
        source = given_source if isinstance(given_source, str) else ""
        raw_details = payload.get("custom_details")
        details = raw_details if isinstance(raw_details, dict) else {}
    links = _links(body, errors)
    if errors:
        raise PagerDutyInvalid(errors)
    kind_word = str(details.get("kind") or details.get("type") or "deploy").lower()
    return routing_key, ChangeIn(
        summary=summary[:MAX_SUMMARY],
        timestamp=timestamp or now,
        source=source or "",
        kind=CHANGE_KINDS.get(kind_word, "other"),
        links=links,
        details=details,
        raw={k: v for k, v in body.items() if k != "routing_key"},
    )
