"""The one shape every monitoring source is normalised to.

Sources (``fireline.alerts.sources``) are pure functions from a decoded
request body to :class:`AlertIn` values; everything after them (dedup,
grouping, routing, silences) sees only this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    trigger = "trigger"
    acknowledge = "acknowledge"
    resolve = "resolve"


class Severity(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"


SEVERITY_RANK = {Severity.critical: 4, Severity.error: 3, Severity.warning: 2, Severity.info: 1}

# Words monitoring tools use for severity, mapped to ours; anything else is a warning.
SEVERITY_WORDS: dict[str, Severity] = {
    "critical": Severity.critical,
    "crit": Severity.critical,
    "fatal": Severity.critical,
    "emergency": Severity.critical,
    "page": Severity.critical,
    "p1": Severity.critical,
    "sev1": Severity.critical,
    "error": Severity.error,
    "err": Severity.error,
    "high": Severity.error,
    "major": Severity.error,
    "p2": Severity.error,
    "sev2": Severity.error,
    "warning": Severity.warning,
    "warn": Severity.warning,
    "medium": Severity.warning,
    "minor": Severity.warning,
    "p3": Severity.warning,
    "sev3": Severity.warning,
    "info": Severity.info,
    "informational": Severity.info,
    "low": Severity.info,
    "none": Severity.info,
    "notice": Severity.info,
    "debug": Severity.info,
    "p4": Severity.info,
    "p5": Severity.info,
    "sev4": Severity.info,
}


def severity_from_word(word: object, default: Severity = Severity.warning) -> Severity:
    if not isinstance(word, str):
        return default
    return SEVERITY_WORDS.get(word.strip().lower(), default)


@dataclass(slots=True)
class Link:
    href: str
    text: str = ""


@dataclass(slots=True)
class AlertIn:
    """One alert event from a source, before dedup and grouping.

    ``dedup_key`` identifies the alert within its integration: the same key
    updates the open alert. ``group_hint`` is the source's own idea of a group
    (Alertmanager's ``groupKey``); the integration's ``group_by`` labels win
    over it. ``raw`` is the source's own object for this alert, kept verbatim,
    unknown fields included."""

    dedup_key: str
    action: Action
    severity: Severity
    summary: str
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    group_hint: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ChangeIn:
    """A change event (deploy, config change, feature-flag flip) from CI/CD."""

    summary: str
    timestamp: datetime
    source: str = ""
    kind: str = "deploy"
    links: list[Link] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class SourceError(ValueError):
    """A body that does not match its source's format; ``field`` is a dotted path
    into the body (``alerts[3].labels``), or None for the body as a whole."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def describe(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def within(self, prefix: str) -> SourceError:
        """The same error, its field named from an enclosing one (``alerts[3]``)."""
        return SourceError(self.message, f"{prefix}.{self.field}" if self.field else prefix)


MAX_SUMMARY = 1024
MAX_SOURCE = 1024
MAX_DEDUP_KEY = 255
MAX_LABEL_VALUE = 1024
MAX_GROUP_KEY = 1000
