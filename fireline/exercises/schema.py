"""What an exercise scenario is, as written in YAML (built-in, or uploaded by
an admin). Every model forbids unknown keys, so a typo is an error with a
line number, as in the plan and playbooks.

Checks against the plan (incident types, severities, roles, lifecycle
states) are in ``fireline.exercises.checks``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from fireline.core.strict import StrictDocument
from fireline.plan.keys import Key, SeverityKey

KINDS = ("tabletop", "game_day")
INJECT_KINDS = ("alert", "message", "evidence", "status", "question")
FACILITATOR = "facilitator"
ALERT_SEVERITIES = ("critical", "error", "warning", "info")
# Longer than any exercise a team would sit through; keeps timers sensible.
MAX_OFFSET = timedelta(days=7)

_OFFSET = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?")


def parse_offset(value: str) -> timedelta:
    """``0m``, ``5m``, ``1h``, ``1h30m``, ``2d``: the time from the start."""
    text = value.strip().lower()
    match = _OFFSET.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not an offset: write it like 0m, 5m, 1h or 1h30m")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    if span > MAX_OFFSET:
        raise ValueError(f"{value!r} is later than an exercise runs (at most 7d)")
    return span


def _offset(value: str) -> str:
    parse_offset(value)
    return value


Offset = Annotated[str, AfterValidator(_offset)]
Objective = Annotated[str, Field(min_length=1, max_length=500)]


class IncidentSpec(StrictDocument):
    """The exercise incident the run opens (its title gets "[EXERCISE] ")."""

    title: str = Field(min_length=1, max_length=280)
    type: Key
    severity: SeverityKey
    services: list[str] = Field(default_factory=list, max_length=20)
    summary: str = Field(default="", max_length=10_000)
    restricted: bool = False


class AlertInject(StrictDocument):
    """An alert sent through the alert pipeline to a service."""

    service: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1, max_length=1000)
    severity: Literal["critical", "error", "warning", "info"] = "critical"
    source: str = Field(default="", max_length=255)
    labels: dict[str, str] = Field(default_factory=dict)


class MessageInject(StrictDocument):
    """A note on the timeline, said by a plan role or by the facilitator."""

    from_: str = Field(default=FACILITATOR, alias="from", max_length=64)
    text: str = Field(min_length=1, max_length=10_000)


class EvidenceInject(StrictDocument):
    """An external evidence item registered on the incident."""

    type: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=5000)
    source_host: str = Field(default="", max_length=255)
    source_account: str = Field(default="", max_length=255)
    storage_location: str = Field(default="", max_length=1000)
    tool: str = Field(default="", max_length=255)
    sha256: str | None = Field(default=None, max_length=64)


class StatusInject(StrictDocument):
    """A change of severity or lifecycle status (one or both)."""

    severity: SeverityKey | None = None
    status: Key | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> StatusInject:
        if self.severity is None and self.status is None:
            raise ValueError("a status inject changes the severity, the status, or both")
        return self


class QuestionInject(StrictDocument):
    """A question to the team, given to them as a task (for a plan role)."""

    text: str = Field(min_length=1, max_length=300)
    role: Key | None = None


class Inject(StrictDocument):
    key: Key
    at: Offset = Field(description="from the start, e.g. 0m, 5m, 1h30m")
    alert: AlertInject | None = None
    message: MessageInject | None = None
    evidence: EvidenceInject | None = None
    status: StatusInject | None = None
    question: QuestionInject | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Inject:
        given = [kind for kind in INJECT_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an inject is exactly one of {', '.join(INJECT_KINDS)}"
                + (f"; this one has {' and '.join(given)}" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in INJECT_KINDS if getattr(self, kind) is not None)

    @property
    def offset(self) -> timedelta:
        return parse_offset(self.at)

    @property
    def summary(self) -> str:
        """One line saying what the inject is, for lists and the report."""
        if self.alert is not None:
            return f"Alert to {self.alert.service}: {self.alert.summary}"
        if self.message is not None:
            return f"Message from {self.message.from_}: {self.message.text}"
        if self.evidence is not None:
            return f"Evidence ({self.evidence.type}): {self.evidence.description}"
        if self.status is not None:
            moves = [f"severity {self.status.severity}"] if self.status.severity else []
            moves += [f"status {self.status.status}"] if self.status.status else []
            return f"{' and '.join(moves).capitalize()}: {self.status.reason}"
        assert self.question is not None
        return f"Question: {self.question.text}"


class Scenario(StrictDocument):
    key: Key
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    kind: Literal["tabletop", "game_day"]
    incident: IncidentSpec
    objectives: list[Objective] = Field(default_factory=list, max_length=50)
    injects: list[Inject] = Field(min_length=1, max_length=200)

    @property
    def duration(self) -> timedelta:
        return max(inject.offset for inject in self.injects)
