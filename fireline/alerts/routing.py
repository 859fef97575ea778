"""Pure decisions for one alert: where it goes (routing rules), how it groups,
and whether a silence or a maintenance window keeps it from paging."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fireline.alerts.matchers import Matcher, matches_all
from fireline.alerts.shape import MAX_GROUP_KEY, AlertIn, Severity

HIGH_URGENCY = frozenset({Severity.critical, Severity.error})


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    integration_id: int | None
    matchers: tuple[Matcher, ...]
    service_id: int | None = None
    urgency: str | None = None
    escalation_policy: str | None = None
    incident_action: str = "none"
    incident_severity: str | None = None
    incident_type: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    service_id: int
    urgency: str
    escalation_policy: str | None = None
    rule: Rule | None = None


@dataclass(frozen=True, slots=True)
class SilenceRule:
    id: int
    matchers: tuple[Matcher, ...]
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window's first occurrence and how it repeats."""

    id: int
    service_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    repeat: str = "none"
    repeat_until: datetime | None = None


@dataclass(slots=True)
class Context:
    """What every alert of one batch is decided against."""

    rules: Sequence[Rule] = ()
    silences: Sequence[SilenceRule] = ()
    windows: Sequence[Window] = ()
    service_slugs: dict[int, str] = field(default_factory=dict)


def default_urgency(severity: Severity) -> str:
    return "high" if severity in HIGH_URGENCY else "low"


def route(rules: Iterable[Rule], integration_id: int, service_id: int, alert: AlertIn) -> Route:
    """The first rule whose matchers all match decides; without one, the
    integration's service keeps the alert and its severity sets the urgency."""
    for rule in rules:
        if rule.integration_id not in (None, integration_id):
            continue
        if matches_all(rule.matchers, alert.labels):
            return Route(
                service_id=rule.service_id or service_id,
                urgency=rule.urgency or default_urgency(alert.severity),
                escalation_policy=rule.escalation_policy,
                rule=rule,
            )
    return Route(service_id=service_id, urgency=default_urgency(alert.severity))


def group_key(group_by: Sequence[str], alert: AlertIn) -> str:
    """The integration's labels when it names some, else the source's own group."""
    if group_by:
        key = ",".join(f"{name}={alert.labels.get(name, '')}" for name in group_by)
    else:
        key = alert.group_hint or ""
    return key if len(key) <= MAX_GROUP_KEY else _shortened(key)


def _shortened(key: str) -> str:
    """A key too long to store (long label values, or Alertmanager's own
    group key for a route grouping by many labels): its start, still
    readable, and a digest of all of it, so that different keys stay apart."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: MAX_GROUP_KEY - len(digest) - 3]}...{digest}"


def silenced_by(context: Context, service_id: int, alert: AlertIn, now: datetime) -> str | None:
    """``silence:<id>`` or ``maintenance:<id>`` when paging must stay quiet."""
    if context.silences:
        labels = alert.labels
        slug = context.service_slugs.get(service_id)
        if slug is not None and "service" not in labels:
            # Let a silence say service="checkout" even when the source sent no such label.
            labels = {**labels, "service": slug}
        for silence in context.silences:
            if matches_all(silence.matchers, labels):
                return f"silence:{silence.id}"
    for window in context.windows:
        if window.service_id == service_id and window_active(window, now):
            return f"maintenance:{window.id}"
    return None


def window_active(window: Window, now: datetime) -> bool:
    if window.repeat == "none":
        return window.starts_at <= now < window.ends_at
    if now < window.starts_at or (window.repeat_until and now >= window.repeat_until):
        return False
    step = timedelta(days=1 if window.repeat == "daily" else 7)
    # The latest occurrence that started at or before now.
    occurrences = (now - window.starts_at) // step
    start = window.starts_at + occurrences * step
    return now < start + (window.ends_at - window.starts_at)
