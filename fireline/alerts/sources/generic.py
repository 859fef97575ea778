"""A generic JSON webhook, read through a per-integration mapping of JMESPath
expressions. JMESPath only selects and reshapes data: a mapping can never run
code, which is why it was chosen over templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    MAX_LABEL_VALUE,
    MAX_SUMMARY,
    Action,
    AlertIn,
    ChangeIn,
    Link,
    SourceError,
    severity_from_word,
)
from fireline.alerts.sources.common import parse_time, stable_key, summary_of

EXPRESSIONS = (
    "alerts",
    "dedup_key",
    "summary",
    "severity",
    "status",
    "source",
    "labels",
    "links",
    "group",
)
LISTS = ("resolved_values", "acknowledged_values")
DEFAULTS = {
    "summary": "title || summary || message || name",
    "dedup_key": "id || dedup_key || fingerprint",
    "severity": "severity || level || priority",
    "status": "status || state",
    "source": "source || host",
    "labels": "labels || tags",
    "links": "links",
    "group": "group",
}
CHANGE_KINDS = ("deploy", "config", "flag", "other")


@dataclass(frozen=True)
class Mapping:
    expressions: dict[str, ParsedResult]
    resolved_values: frozenset[str]
    acknowledged_values: frozenset[str]


def compile_mapping(data: dict[str, Any]) -> Mapping:
    if not isinstance(data, dict):
        raise SourceError("expected an object of JMESPath expressions", "mapping")
    unknown = sorted(set(data) - set(EXPRESSIONS) - set(LISTS))
    if unknown:
        raise SourceError(
            f"unknown key; expected some of {', '.join(EXPRESSIONS + LISTS)}",
            f"mapping.{unknown[0]}",
        )
    compiled: dict[str, ParsedResult] = {}
    for name in EXPRESSIONS:
        text = data.get(name) or DEFAULTS.get(name)
        if text is None:
            continue
        if not isinstance(text, str):
            raise SourceError("expected a JMESPath expression (a string)", f"mapping.{name}")
        try:
            compiled[name] = jmespath.compile(text)
        except JMESPathError as exc:
            raise SourceError(
                f"not a valid JMESPath expression: {exc}", f"mapping.{name}"
            ) from None
    lists = {}
    for name, default in (
        ("resolved_values", ["resolved", "ok", "closed", "recovered"]),
        ("acknowledged_values", ["acknowledged", "ack"]),
    ):
        values = data.get(name, default)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SourceError("expected a list of strings", f"mapping.{name}")
        lists[name] = frozenset(v.lower() for v in values)
    return Mapping(compiled, lists["resolved_values"], lists["acknowledged_values"])


def _search(mapping: Mapping, name: str, item: Any) -> Any:
    expression = mapping.expressions.get(name)
    if expression is None:
        return None
    try:
        return expression.search(item)
    except JMESPathError as exc:
        raise SourceError(
            f"the expression failed on this payload: {exc}", f"mapping.{name}"
        ) from None


def parse(body: Any, mapping: Mapping, now: datetime) -> list[AlertIn]:
    items = _search(mapping, "alerts", body) if "alerts" in mapping.expressions else body
    if items is None:
        raise SourceError("the alerts expression selected nothing", "mapping.alerts")
    if not isinstance(items, list):
        items = [items]
    alerts = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceError("expected each alert to be a JSON object", f"alerts[{i}]")
        alerts.append(_alert(item, mapping))
    return alerts


def _alert(item: dict[str, Any], mapping: Mapping) -> AlertIn:
    labels = _labels(_search(mapping, "labels", item))
    summary = summary_of(_search(mapping, "summary", item), default="webhook alert")
    dedup = _search(mapping, "dedup_key", item)
    dedup_key = (
        str(dedup)[:MAX_DEDUP_KEY]
        if dedup not in (None, "")
        else stable_key(summary, sorted(labels.items()))
    )
    status = str(_search(mapping, "status", item) or "").strip().lower()
    action = Action.trigger
    if status in mapping.resolved_values:
        action = Action.resolve
    elif status in mapping.acknowledged_values:
        action = Action.acknowledge
    group = _search(mapping, "group", item)
    source = _search(mapping, "source", item)
    return AlertIn(
        dedup_key=dedup_key,
        action=action,
        severity=severity_from_word(_search(mapping, "severity", item)),
        summary=summary,
        source=str(source)[:MAX_SUMMARY] if source is not None else "",
        labels=labels,
        links=_links(_search(mapping, "links", item)),
        group_hint=str(group) if group not in (None, "") else None,
        raw=item,
    )


def _labels(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): _text(v)[:MAX_LABEL_VALUE] for k, v in value.items() if v is not None}
    if isinstance(value, list):  # tags as ["env:prod", "team:db"]
        pairs = (str(tag).partition(":") for tag in value)
        return {k: v[:MAX_LABEL_VALUE] for k, _, v in pairs if k}
    return {}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _links(value: Any) -> list[Link]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    found = []
    for link in value:
        if isinstance(link, str):
            found.append(Link(link))
        elif isinstance(link, dict) and isinstance(link.get("href"), str):
            found.append(Link(link["href"], str(link.get("text") or "")))
    return found


def try_mapping(body: Any, mapping_data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What a mapping makes of a sample payload, for the "try it" box."""
    try:
        alerts = parse(body, compile_mapping(mapping_data), now)
    except SourceError as exc:
        return {"ok": False, "error": exc.message, "field": exc.field}
    return {
        "ok": True,
        "alerts": [
            {
                "dedup_key": a.dedup_key,
                "action": a.action.value,
                "severity": a.severity.value,
                "summary": a.summary,
                "source": a.source,
                "labels": a.labels,
                "links": [{"href": link.href, "text": link.text} for link in a.links],
                "group": a.group_hint,
            }
            for a in alerts
        ],
    }


def parse_change(body: Any, now: datetime) -> ChangeIn:
    """A plain change webhook: {summary, timestamp?, source?, kind?, links?, details?}."""
    if not isinstance(body, dict):
        raise SourceError("expected a JSON object")
    summary = body.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise SourceError("a summary is required", "summary")
    if len(summary) > MAX_SUMMARY:
        raise SourceError(f"at most {MAX_SUMMARY} characters", "summary")
    kind = body.get("kind", "deploy")
    if kind not in CHANGE_KINDS:
        raise SourceError(f"expected one of {', '.join(CHANGE_KINDS)}", "kind")
    details = body.get("details", {})
    if not isinstance(details, dict):
        raise SourceError("expected an object", "details")
    source = body.get("source", "")
    return ChangeIn(
        summary=summary.strip(),
        timestamp=parse_time(body.get("timestamp"), "timestamp") or now,
        source=source if isinstance(source, str) else "",
        kind=kind,
        links=_links(body.get("links")),
        details=details,
        raw=body,
    )
