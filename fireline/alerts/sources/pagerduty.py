"""PagerDuty Events API v2 (``/v2/enqueue``) and Change Events
(``/v2/change/enqueue``), validated the way PagerDuty documents them: every
problem is reported at once, in its 400 body's ``errors`` list, so a client
pointed here instead of PagerDuty sees the answers it was written for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    MAX_LABEL_VALUE,
    MAX_SOURCE,
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
MAX_ROUTING_KEY = 255
# Payload fields copied into labels, so routing matchers can use them.
LABEL_FIELDS = ("component", "group", "class", "source")
CHANGE_KINDS = {"deploy": "deploy", "config": "config", "flag": "flag", "feature_flag": "flag"}


class PagerDutyInvalid(SourceError):
    """Every problem found in one event, each naming its field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class _Trigger:
    """What a trigger's payload holds once read."""

    summary: str = ""
    severity: Severity = Severity.info
    starts_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)


def parse_event(body: object, now: datetime, new_key: Callable[[], str]) -> tuple[str, AlertIn]:
    """An event for ``/v2/enqueue``: its routing key and the alert it carries.
    ``new_key`` makes the dedup key of a trigger that brings none."""
    if not isinstance(body, dict):
        raise PagerDutyInvalid(["the event must be a JSON object"])
    errors: list[str] = []
    routing_key = _routing_key(body, errors)
    action = _event_action(body, errors)
    dedup_key = _given_dedup_key(body, action, errors)
    trigger = _Trigger()
    if action is Action.trigger:
        trigger = _trigger_payload(body.get("payload"), errors)
    links = _links(body, errors)
    if errors or action is None:
        raise PagerDutyInvalid(errors)
    return routing_key, AlertIn(
        dedup_key=dedup_key or new_key(),
        action=action,
        severity=trigger.severity,
        summary=trigger.summary or f"{action.value} {dedup_key}",
        source=trigger.labels.get("source", ""),
        labels=trigger.labels,
        annotations=trigger.annotations,
        links=links,
        starts_at=trigger.starts_at,
        group_hint=trigger.labels.get("group"),
        raw=_raw(body),
    )


def _raw(body: dict[str, Any]) -> dict[str, Any]:
    # The routing key is the integration's secret: it is not kept with the alert.
    return {k: v for k, v in body.items() if k != "routing_key"}


def _routing_key(body: dict[str, Any], errors: list[str]) -> str:
    key = body.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        errors.append("'routing_key' is missing or blank")
        return ""
    if len(key) > MAX_ROUTING_KEY:
        errors.append(f"'routing_key' is longer than {MAX_ROUTING_KEY} characters")
    return key.strip()


def _event_action(body: dict[str, Any], errors: list[str]) -> Action | None:
    action = body.get("event_action")
    if action is None:
        errors.append("'event_action' is missing")
    elif action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    else:
        return Action(action)
    return None


def _given_dedup_key(body: dict[str, Any], action: Action | None, errors: list[str]) -> str:
    key = body.get("dedup_key")
    if key is not None and (not isinstance(key, str) or len(key) > MAX_DEDUP_KEY):
        errors.append(f"'dedup_key' must be a string of at most {MAX_DEDUP_KEY} characters")
        return ""
    if action in (Action.acknowledge, Action.resolve) and not key:
        errors.append(f"'dedup_key' is required to {action}")
    return key or ""


def _trigger_payload(payload: object, errors: list[str]) -> _Trigger:
    if not isinstance(payload, dict):
        errors.append("'payload' is missing or not an object")
        return _Trigger()
    # Checked in the order PagerDuty documents the fields, so errors read top down.
    summary = _summary(payload, errors)
    _required_text(payload, "source", errors)
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        errors.append("'payload.severity' must be one of critical, error, warning, info")
        severity = Severity.info.value
    starts_at = _timestamp(payload, errors)
    labels = _payload_labels(payload, errors)
    # Also a label: severity is the first thing routing rules match on.
    labels["severity"] = severity
    details = payload.get("custom_details")
    return _Trigger(
        summary=summary,
        severity=Severity(severity),
        starts_at=starts_at,
        labels=labels,
        annotations={} if details is None else {"custom_details": details},
    )


def _required_text(payload: dict[str, Any], name: str, errors: list[str]) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"'payload.{name}' is missing or blank")
        return ""
    return value


def _summary(payload: dict[str, Any], errors: list[str]) -> str:
    summary = _required_text(payload, "summary", errors)
    if len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    return summary.strip()


def _timestamp(payload: dict[str, Any], errors: list[str]) -> datetime | None:
    try:
        return parse_time(payload.get("timestamp"), "payload.timestamp")
    except SourceError:
        errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
        return None


def _payload_labels(payload: dict[str, Any], errors: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name in LABEL_FIELDS:
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(f"'payload.{name}' must be a string")
        elif len(value) > MAX_LABEL_VALUE:
            errors.append(f"'payload.{name}' is longer than {MAX_LABEL_VALUE} characters")
        else:
            labels[name] = value
    return labels


def _links(body: dict[str, Any], errors: list[str]) -> list[Link]:
    """``links``, then the images that link somewhere, then ``client_url``."""
    found = _link_list(body.get("links", []), errors)
    found += _image_links(body.get("images", []), errors)
    client_url = body.get("client_url")
    if client_url is not None and not isinstance(client_url, str):
        errors.append("'client_url' must be a string")
    elif client_url:
        client = body.get("client")
        found.append(Link(client_url, client if isinstance(client, str) and client else "client"))
    return found


def _link_list(links: object, errors: list[str]) -> list[Link]:
    if not isinstance(links, list):
        errors.append("'links' must be a list of {href, text}")
        return []
    found = []
    for i, link in enumerate(links):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            errors.append(f"'links[{i}].href' must be a string")
        else:
            found.append(Link(link["href"], _text(link.get("text"))))
    return found


def _image_links(images: object, errors: list[str]) -> list[Link]:
    # The images themselves stay in ``raw``; only where they point becomes a link.
    if not isinstance(images, list):
        errors.append("'images' must be a list of {src, href, alt}")
        return []
    found = []
    for i, image in enumerate(images):
        if not isinstance(image, dict) or not isinstance(image.get("src"), str):
            errors.append(f"'images[{i}].src' must be a string")
        elif isinstance(image.get("href"), str) and image["href"]:
            found.append(Link(image["href"], _text(image.get("alt")) or "image"))
    return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_change(body: object, now: datetime) -> tuple[str, ChangeIn]:
    """A change event for ``/v2/change/enqueue``: its routing key and the change."""
    if not isinstance(body, dict):
        raise PagerDutyInvalid(["the change event must be a JSON object"])
    errors: list[str] = []
    routing_key = _routing_key(body, errors)
    payload = body.get("payload")
    summary, timestamp, source, details = "", None, "", {}
    if isinstance(payload, dict):
        summary = _summary(payload, errors)
        timestamp = _timestamp(payload, errors)
        source = _change_source(payload, errors)
        details = _change_details(payload.get("custom_details"))
    else:
        errors.append("'payload' is missing or not an object")
    links = _links(body, errors)
    if errors:
        raise PagerDutyInvalid(errors)
    return routing_key, ChangeIn(
        summary=summary,
        timestamp=timestamp or now,
        source=source,
        kind=_change_kind(details),
        links=links,
        details=details,
        raw=_raw(body),
    )


def _change_source(payload: dict[str, Any], errors: list[str]) -> str:
    source = payload.get("source")
    if source is not None and not isinstance(source, str):
        errors.append("'payload.source' must be a string")
        return ""
    if source and len(source) > MAX_SOURCE:
        errors.append(f"'payload.source' is longer than {MAX_SOURCE} characters")
        return ""
    return source or ""


def _change_details(details: object) -> dict[str, Any]:
    # custom_details may be any JSON; a change keeps a dict, so wrap the rest.
    if details is None:
        return {}
    return details if isinstance(details, dict) else {"custom_details": details}


def _change_kind(details: dict[str, Any]) -> str:
    """A deploy unless the details say it is a config change or a flag flip."""
    word = details.get("kind") or details.get("type")
    if not isinstance(word, str):
        return "deploy"
    return CHANGE_KINDS.get(word.strip().lower(), "deploy")
