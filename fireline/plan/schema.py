"""The plan file's schema: what a valid ``fireline.yaml`` holds.

Every model forbids unknown keys, so a typo is an error with a line number
rather than a setting silently ignored. Checks that look across values
(unique keys, references between sections, lifecycle graphs) live in
``fireline.plan.checks``: validating a model runs them, and the loader runs
them itself instead so that each problem points at the value at fault.
"""

from __future__ import annotations

import datetime as dt
from datetime import time
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from fireline.core.strict import StrictDocument
from fireline.plan.durations import Duration
from fireline.plan.keys import Key, SeverityKey
from fireline.playbooks.schema import Playbook
from fireline.postmortems.schema import PostmortemPolicy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")

# Validation context flag: the loader runs the cross-section checks itself, so
# that each problem carries the position of the value at fault.
DEFER_CHECKS = "fireline.plan.defer_checks"


class Organisation(StrictDocument):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a directory
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Europe/Berlin"
            ) from None
        return value


def _quoted_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 17:00 as the sexagesimal number 1020.
    if isinstance(value, int):
        raise ValueError('write times in quotes, e.g. "09:00"')
    return value


def _local_time(value: time) -> time:
    # The zone comes from the organisation; a time with its own offset would disagree.
    if value.tzinfo is not None:
        raise ValueError("give a local time without an offset, e.g. 09:00")
    return value


def _check_window(start: time, end: time) -> None:
    # A window inside one date keeps business-time arithmetic simple; a team
    # working through the night opens at 00:00 rather than closing after midnight.
    if start >= end:
        raise ValueError(f"opening time {start:%H:%M} must be before closing time {end:%H:%M}")


def _short_time(value: time) -> str:
    return value.isoformat("minutes" if value.second == 0 else "seconds")


class Hours(StrictDocument):
    """Opening and closing time of one working day, in the organisation's zone."""

    start: time = time(9, 0)
    end: time = time(17, 0)

    _quoted = field_validator("start", "end", mode="before")(_quoted_time)
    _local = field_validator("start", "end")(_local_time)
    _short = field_serializer("start", "end")(_short_time)

    @model_validator(mode="after")
    def _start_before_end(self) -> Hours:
        _check_window(self.start, self.end)
        return self


class BusinessHours(StrictDocument):
    """The working week: ``days`` open from ``start`` to ``end``, except where
    ``by_day`` gives a day its own hours (a short Friday, say)."""

    days: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK), min_length=1)
    start: time = time(9, 0)
    end: time = time(17, 0)
    by_day: dict[Weekday, Hours] = Field(default_factory=dict)

    _quoted = field_validator("start", "end", mode="before")(_quoted_time)
    _local = field_validator("start", "end")(_local_time)
    _short = field_serializer("start", "end")(_short_time)

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        _check_window(self.start, self.end)
        return self

    def hours_on(self, weekday: int) -> Hours | None:
        """The hours of a weekday (0 = Monday), or None when it is not a working day."""
        name = WEEKDAYS[weekday]
        if name not in self.days:
            return None
        return self.by_day.get(name, Hours(start=self.start, end=self.end))


class ExtraDay(StrictDocument):
    date: dt.date
    name: str = Field(min_length=1)


class Holidays(StrictDocument):
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. DE")
    subdivision: str | None = Field(default=None, description="e.g. BY for Bavaria")
    extra_days: list[ExtraDay] = Field(
        default_factory=list, description="the organisation's own closing days"
    )

    @field_validator("country", "subdivision", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML 1.1 reads NO (Norway) as false and ON as true.
        if isinstance(value, bool):
            raise ValueError('write the code in quotes, e.g. "NO"')
        return value

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        known = holidays.list_supported_countries()
        if value is not None and value not in known:
            hint = f"; did you mean {value.upper()!r}?" if value.upper() in known else ""
            raise ValueError(
                f"no holiday calendar for country {value!r}; use an ISO code like DE or US{hint}"
            )
        return value

    @model_validator(mode="after")
    def _known_subdivision(self) -> Holidays:
        if self.subdivision is None:
            return self
        if self.country is None:
            raise ValueError("a subdivision needs a country")
        known = holidays.list_supported_countries()[self.country]
        if self.subdivision not in known:
            listing = ", ".join(known) if known else "none"
            raise ValueError(
                f"{self.country} has no subdivision {self.subdivision!r}; it has {listing}"
            )
        return self


class Severity(StrictDocument):
    key: SeverityKey
    name: str = Field(min_length=1)
    description: str = ""
    response: Duration = Field(description="time to acknowledgement or a commander assigned")
    resolution: Duration
    business_hours: bool = Field(
        default=False, description="measure these clocks in business hours, skipping holidays"
    )
    required_roles: list[str] = Field(
        default_factory=list, description="roles an incident of this severity must have filled"
    )
    escalation_contacts: list[str] = Field(
        default_factory=list, description="e-mail addresses told of SLA warnings and breaches"
    )
    update_every: Duration = Field(
        default_factory=Duration,
        description="how often stakeholders are told how it goes; best effort: no cadence",
    )
    stakeholders: list[str] = Field(
        default_factory=list, description="audience keys that get every stakeholder update"
    )


class Audience(StrictDocument):
    """People told of incidents beyond those working on them: executives,
    support, a customer-facing team."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    emails: list[str] = Field(default_factory=list, description="e-mail addresses")
    chat: list[str] = Field(
        default_factory=list,
        description="Apprise URLs of chat rooms (Slack, Teams, Mattermost, Discord, …)",
    )


class Lifecycle(StrictDocument):
    """Named states with the moves allowed between them; the first state is where
    an incident starts, and a state with no moves out is final."""

    key: Key
    states: list[Key] = Field(min_length=2)
    transitions: dict[str, list[str]]

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Lifecycle:
        # Imported here: the checks module needs these models.
        from fireline.plan.checks import lifecycle_problems

        if info.context and info.context.get(DEFER_CHECKS):
            return self
        problems = lifecycle_problems(self, 0)
        if problems:
            raise ValueError("; ".join(p.message for p in problems))
        return self

    @property
    def initial(self) -> str:
        return self.states[0]

    def allowed_from(self, state: str) -> list[str]:
        return list(self.transitions.get(state, []))

    def can_move(self, source: str, target: str) -> bool:
        return target in self.transitions.get(source, [])

    def is_final(self, state: str) -> bool:
        return state in self.states and not self.transitions.get(state)


class IncidentType(StrictDocument):
    key: Key
    name: str = Field(min_length=1)
    category: Literal["operational", "security"]
    lifecycle: str


class Role(StrictDocument):
    key: Key
    name: str = Field(min_length=1)
    description: str = ""
    security: bool = Field(default=False, description="may see evidence of security incidents")
    single: bool = Field(default=False, description="at most one person holds it at a time")


class Answer(StrictDocument):
    key: Key
    text: str = Field(min_length=1)
    severity: str = Field(description="the severity this answer points to")


class Question(StrictDocument):
    key: Key
    text: str = Field(min_length=1)
    answers: list[Answer] = Field(min_length=2)


class Classification(StrictDocument):
    """Questions asked at declaration; the most severe answer suggests the severity."""

    questions: list[Question] = Field(default_factory=list)


def _clock_span(value: str) -> str:
    # Imported here: the clocks module computes business days with the plan's
    # calendar, which needs this module; one parser keeps the plan and the
    # clocks agreeing on what a span is.
    from fireline.security.obligations.clocks import Span

    Span.parse(value)
    return value


ClockSpan = Annotated[str, AfterValidator(_clock_span)]


class ObligationStage(StrictDocument):
    """One notice an obligation owes: an early warning, a notification, a final report."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    clocks: list[tuple[str, ClockSpan]] = Field(
        default_factory=list,
        max_length=5,
        description=(
            "[start, span] pairs: start is trigger, aware, ransom_paid, year_end or an"
            " earlier stage's key; several: the earliest deadline counts; none: owed"
            " without undue delay, with no fixed deadline"
        ),
    )
    when: Key | None = Field(
        default=None, description="a condition key: the stage applies only when it is confirmed"
    )

    @field_validator("clocks", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        # Without this, a pair missing its span reads "missing required key 1".
        if isinstance(value, list):
            for item in value:
                if not isinstance(item, list | tuple) or len(item) != 2:
                    raise ValueError(
                        f"each clock is a [start, span] pair like [trigger, 72h], not {item!r}"
                    )
        return value


class Obligation(StrictDocument):
    """A notification duty (a regulator's, a contract's), in the shape of the
    built-in presets; one with a preset's key replaces that preset."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    trigger: str = Field(min_length=1, max_length=300, description="the event that starts it")
    stages: list[ObligationStage] = Field(min_length=1, max_length=20)
    conditions: dict[Key, str] = Field(
        default_factory=dict, description="condition key -> the question a person answers"
    )


def _reminder_point(value: Duration) -> Duration:
    if value.span is None:
        raise ValueError("a reminder point is a fixed time before the deadline, like 24h or 30m")
    return value


ReminderPoint = Annotated[Duration, AfterValidator(_reminder_point)]


def _default_reminders() -> list[Duration]:
    return [Duration(minutes=24 * 60), Duration(minutes=4 * 60), Duration(minutes=60)]


class Plan(StrictDocument):
    version: Literal[1] = 1
    organisation: Organisation
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: Holidays = Field(default_factory=Holidays)
    sla_warning_fraction: float = Field(default=0.75, gt=0, lt=1)
    severities: list[Severity] = Field(min_length=1, description="most severe first")
    lifecycles: list[Lifecycle] = Field(min_length=1)
    incident_types: list[IncidentType] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    classification: Classification = Field(default_factory=Classification)
    audiences: list[Audience] = Field(default_factory=list)
    playbooks: list[Playbook] = Field(
        default_factory=list, description="response steps per incident type (fireline.playbooks)"
    )
    obligations: list[Obligation] = Field(
        default_factory=list, description="notification obligations beyond the presets"
    )
    obligation_reminders: list[ReminderPoint] = Field(
        default_factory=_default_reminders,
        max_length=10,
        description="how long before each obligation deadline to remind; the longest is 'due soon'",
    )
    postmortem: PostmortemPolicy = Field(
        default_factory=PostmortemPolicy,
        description="the post-mortem template, which severities need one, and by when",
    )

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Plan:
        # Imported here: the checks module needs these models.
        from fireline.plan.checks import plan_problems

        if info.context and info.context.get(DEFER_CHECKS):
            return self
        problems = plan_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.dotted}: {p.message}" for p in problems))
        return self

    def severity(self, key: str) -> Severity:
        return _by_key(self.severities, key, "severity")

    def severity_rank(self, key: str) -> int:
        """0 for the most severe; lower is worse."""
        return self.severities.index(self.severity(key))

    def incident_type(self, key: str) -> IncidentType:
        return _by_key(self.incident_types, key, "incident type")

    def lifecycle(self, key: str) -> Lifecycle:
        return _by_key(self.lifecycles, key, "lifecycle")

    def lifecycle_of(self, type_key: str) -> Lifecycle:
        return self.lifecycle(self.incident_type(type_key).lifecycle)

    def role(self, key: str) -> Role:
        return _by_key(self.roles, key, "role")

    def audience(self, key: str) -> Audience:
        return _by_key(self.audiences, key, "audience")


_Keyed = TypeVar("_Keyed", Severity, IncidentType, Lifecycle, Role, Audience)


def _by_key(items: list[_Keyed], key: str, what: str) -> _Keyed:
    for item in items:
        if item.key == key:
            return item
    known = ", ".join(item.key for item in items)
    raise KeyError(f"unknown {what} {key!r}; the plan has {known}")


def weekday_index(day: str) -> int:
    return WEEKDAYS.index(day)
