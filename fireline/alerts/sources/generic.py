"""A generic JSON webhook, read through a per-integration mapping of JMESPath
expressions. JMESPath only selects and reshapes data: a mapping can never run
code, which is why it was chosen over templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jmespath
import orjson
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from fireline.alerts.shape import (
    MAX_DEDUP_KEY,
    MAX_LABEL_VALUE,
    MAX_SOURCE,
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
# Used for any expression a mapping leaves out: the names most senders use.
# ``alerts`` has none: without it the body is one alert, or a list of them.
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
LIST_DEFAULTS = {
    "resolved_values": ("resolved", "ok", "closed", "recovered"),
    "acknowledged_values": ("acknowledged", "ack"),
}
DEFAULT_SUMMARY = "webhook alert"
CHANGE_KINDS = ("deploy", "config", "flag", "other")


@dataclass(frozen=True)
class Mapping:
    """A compiled mapping: one JMESPath expression per field of the alert, and
    the status words that mean resolved or acknowledged (lower case)."""

    alerts: ParsedResult | None = None
    dedup_key: ParsedResult | None = None
    summary: ParsedResult | None = None
    severity: ParsedResult | None = None
    status: ParsedResult | None = None
    source: ParsedResult | None = None
    labels: ParsedResult | None = None
    links: ParsedResult | None = None
    group: ParsedResult | None = None
    resolved_values: frozenset[str] = frozenset(LIST_DEFAULTS["resolved_values"])
    acknowledged_values: frozenset[str] = frozenset(LIST_DEFAULTS["acknowledged_values"])

    def search(self, name: str, data: Any) -> Any:
        """What the expression for ``name`` selects from ``data`` (None when unset)."""
        expression: ParsedResult | None = getattr(self, name)
        if expression is None:
            return None
        try:
            return expression.search(data)
        except JMESPathError as exc:  # e.g. a function given the wrong type
            raise SourceError(
                f"the expression failed on this payload: {exc}", f"mapping.{name}"
            ) from None


# --- compiling ---------------------------------------------------------------


def compile_mapping(data: object) -> Mapping:
    """Check and compile a mapping as stored; every error names ``mapping.<key>``."""
    if not isinstance(data, dict):
        raise SourceError("expected an object of JMESPath expressions", "mapping")
    unknown = sorted(str(key) for key in set(data) - set(EXPRESSIONS) - set(LISTS))
    if unknown:
        raise SourceError(
            f"unknown key; expected some of {', '.join(EXPRESSIONS + LISTS)}",
            f"mapping.{unknown[0]}",
        )
    expressions = {name: _compile(name, data.get(name)) for name in EXPRESSIONS}
    return Mapping(
        resolved_values=_word_list("resolved_values", data.get("resolved_values")),
        acknowledged_values=_word_list("acknowledged_values", data.get("acknowledged_values")),
        **expressions,
    )


def _compile(name: str, text: object) -> ParsedResult | None:
    if text is None or text == "":
        text = DEFAULTS.get(name)
        if text is None:
            return None
    if not isinstance(text, str):
        raise SourceError("expected a JMESPath expression (a string)", f"mapping.{name}")
    try:
        return jmespath.compile(text)
    except JMESPathError as exc:
        raise SourceError(f"not a valid JMESPath expression: {exc}", f"mapping.{name}") from None


def _word_list(name: str, words: object) -> frozenset[str]:
    if words is None:
        return frozenset(LIST_DEFAULTS[name])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise SourceError("expected a list of strings", f"mapping.{name}")
    # Statuses are compared without case or surrounding space.
    return frozenset(w.strip().lower() for w in words)


# --- parsing -----------------------------------------------------------------


def parse(body: object, mapping: Mapping, now: datetime) -> list[AlertIn]:
    items = mapping.search("alerts", body) if mapping.alerts is not None else body
    if items is None:
        raise SourceError("the alerts expression selected nothing", "mapping.alerts")
    if not isinstance(items, list):
        items = [items]
    return [_alert(item, mapping, f"alerts[{i}]") for i, item in enumerate(items)]


def _alert(item: object, mapping: Mapping, where: str) -> AlertIn:
    if not isinstance(item, dict):
        raise SourceError("expected each alert to be a JSON object", where)
    labels = _labels(mapping.search("labels", item))
    summary = summary_of(_scalar(mapping.search("summary", item)), default=DEFAULT_SUMMARY)
    group = _scalar(mapping.search("group", item))
    return AlertIn(
        dedup_key=_dedup_key(mapping.search("dedup_key", item), summary, labels),
        action=_action(mapping.search("status", item), mapping),
        severity=severity_from_word(_scalar(mapping.search("severity", item))),
        summary=summary,
        source=(_scalar(mapping.search("source", item)) or "")[:MAX_SOURCE],
        labels=labels,
        links=_links(mapping.search("links", item)),
        group_hint=group or None,
        raw=item,
    )


def _dedup_key(value: object, summary: str, labels: dict[str, str]) -> str:
    given = _scalar(value)
    if given:
        return given[:MAX_DEDUP_KEY]
    # No id in the payload: the same summary and labels are the same alert.
    return stable_key(summary, sorted(labels.items()))


def _action(status: object, mapping: Mapping) -> Action:
    word = (_scalar(status) or "").strip().lower()
    if word in mapping.resolved_values:
        return Action.resolve
    if word in mapping.acknowledged_values:
        return Action.acknowledge
    return Action.trigger


def _scalar(value: object) -> str | None:
    """A string, number or bool as text; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _text(value: object) -> str:
    """Any JSON value as text: scalars as written, objects and lists as JSON."""
    scalar = _scalar(value)
    if scalar is not None:
        return scalar
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _labels(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): _text(v)[:MAX_LABEL_VALUE] for k, v in value.items() if v is not None}
    if isinstance(value, list):  # tags as ["env:prod", "team:db"]
        pairs = (_text(tag).partition(":") for tag in value if tag is not None)
        return {k: v[:MAX_LABEL_VALUE] for k, _, v in pairs if k}
    return {}


def _links(value: object) -> list[Link]:
    """A URL, a list of URLs, or a list of ``{href, text}``; anything else is skipped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    found = []
    for link in value:
        if isinstance(link, str) and link:
            found.append(Link(link))
        elif isinstance(link, dict) and isinstance(link.get("href"), str) and link["href"]:
            found.append(Link(link["href"], _scalar(link.get("text")) or ""))
    return found


# --- the "try it" box ----------------------------------------------------------


def try_mapping(body: object, mapping_data: object, now: datetime) -> dict[str, Any]:
    """What a mapping makes of a sample payload, as JSON: ``{"ok": true,
    "alerts": [...]}`` or ``{"ok": false, "error": ..., "field": ...}``."""
    try:
        alerts = parse(body, compile_mapping(mapping_data), now)
    except SourceError as exc:
        return {"ok": False, "error": exc.message, "field": exc.field}
    return {"ok": True, "alerts": [_preview(alert) for alert in alerts]}


def _preview(alert: AlertIn) -> dict[str, Any]:
    return {
        "dedup_key": alert.dedup_key,
        "action": alert.action.value,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "source": alert.source,
        "labels": alert.labels,
        "links": [{"href": link.href, "text": link.text} for link in alert.links],
        "group": alert.group_hint,
    }


# --- change events -----------------------------------------------------------


def parse_change(body: object, now: datetime) -> ChangeIn:
    """A plain change webhook: {summary, timestamp?, source?, kind?, links?, details?}."""
    if not isinstance(body, dict):
        raise SourceError("expected a JSON object")
    source = body.get("source", "")
    if not isinstance(source, str):
        raise SourceError("expected a string", "source")
    if len(source) > MAX_SOURCE:
        raise SourceError(f"at most {MAX_SOURCE} characters", "source")
    details = body.get("details", {})
    if not isinstance(details, dict):
        raise SourceError("expected an object", "details")
    return ChangeIn(
        summary=_change_summary(body.get("summary")),
        timestamp=parse_time(body.get("timestamp"), "timestamp") or now,
        source=source,
        kind=_change_kind(body.get("kind")),
        links=_links(body.get("links")),
        details=details,
        raw=body,
    )


def _change_summary(summary: object) -> str:
    if not isinstance(summary, str) or not summary.strip():
        raise SourceError("a summary is required", "summary")
    if len(summary) > MAX_SUMMARY:
        raise SourceError(f"at most {MAX_SUMMARY} characters", "summary")
    return summary.strip()


def _change_kind(kind: object) -> str:
    if kind is None or kind == "":
        return "deploy"
    if kind not in CHANGE_KINDS:
        raise SourceError(f"expected one of {', '.join(CHANGE_KINDS)}", "kind")
    return str(kind)
