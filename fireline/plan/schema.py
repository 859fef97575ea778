"""The plan file's schema: what a valid ``fireline.yaml`` holds.

Every model forbids unknown keys, so a typo is an error with a line number
rather than a setting silently ignored.
"""

from __future__ import annotations

from datetime import time
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fireline.plan.durations import Duration

KEY = r"^[a-z0-9][a-z0-9_-]*$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(Strict):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Europe/Berlin"
            ) from None
        return value


class BusinessHours(Strict):
    days: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK), min_length=1)
    start: time = time(9, 0)
    end: time = time(17, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 09:00 as the number 540.
        if isinstance(value, int):
            raise ValueError('write times in quotes, e.g. "09:00"')
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("business hours must start before they end")
        return self


class Holidays(Strict):
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. DE")
    subdivision: str | None = Field(default=None, description="e.g. BY for Bavaria")

    @field_validator("country", "subdivision", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML 1.1 reads NO (Norway) as false and ON as true.
        if isinstance(value, bool):
            raise ValueError('write the code in quotes, e.g. "NO"')
        return value

    @model_validator(mode="after")
    def _known_calendar(self) -> Holidays:
        if self.country is None:
            if self.subdivision is not None:
                raise ValueError("a subdivision needs a country")
            return self
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(
                f"no holiday calendar for country {self.country!r}; use an ISO code like DE or US"
            )
        if self.subdivision is not None and self.subdivision not in supported[self.country]:
            raise ValueError(f"{self.country} has no subdivision {self.subdivision!r}")
        return self


class Severity(Strict):
    key: str = Field(pattern=r"^SEV[0-9]$|^[A-Z][A-Z0-9_-]*$")
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


class Lifecycle(Strict):
    key: str = Field(pattern=KEY)
    states: list[str] = Field(min_length=2)
    transitions: dict[str, list[str]]

    @model_validator(mode="after")
    def _consistent(self) -> Lifecycle:
        if len(set(self.states)) != len(self.states):
            raise ValueError("states must be unique")
        for source, targets in self.transitions.items():
            for state in (source, *targets):
                if state not in self.states:
                    raise ValueError(
                        f"transition names unknown state {state!r}; states are {', '.join(self.states)}"
                    )
        return self

    @property
    def initial(self) -> str:
        return self.states[0]

    def allowed_from(self, state: str) -> list[str]:
        return list(self.transitions.get(state, []))


class IncidentType(Strict):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1)
    category: Literal["operational", "security"]
    lifecycle: str


class Role(Strict):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1)
    description: str = ""
    security: bool = Field(default=False, description="may see evidence of security incidents")
    single: bool = Field(default=False, description="at most one person holds it at a time")


class Answer(Strict):
    key: str = Field(pattern=KEY)
    text: str = Field(min_length=1)
    severity: str = Field(description="the severity this answer points to")


class Question(Strict):
    key: str = Field(pattern=KEY)
    text: str = Field(min_length=1)
    answers: list[Answer] = Field(min_length=2)


class Classification(Strict):
    """Questions asked at declaration; the most severe answer suggests the severity."""

    questions: list[Question] = Field(default_factory=list)


class Plan(Strict):
    version: Literal[1] = 1
    organisation: Organisation
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: Holidays = Field(default_factory=Holidays)
    sla_warning_fraction: float = Field(default=0.75, gt=0, lt=1)
    severities: list[Severity] = Field(min_length=1)
    lifecycles: list[Lifecycle] = Field(min_length=1)
    incident_types: list[IncidentType] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    classification: Classification = Field(default_factory=Classification)

    def severity(self, key: str) -> Severity:
        return _by_key(self.severities, key, "severity")

    def incident_type(self, key: str) -> IncidentType:
        return _by_key(self.incident_types, key, "incident type")

    def lifecycle(self, key: str) -> Lifecycle:
        return _by_key(self.lifecycles, key, "lifecycle")

    def lifecycle_of(self, type_key: str) -> Lifecycle:
        return self.lifecycle(self.incident_type(type_key).lifecycle)

    def role(self, key: str) -> Role:
        return _by_key(self.roles, key, "role")


_Keyed = TypeVar("_Keyed", Severity, IncidentType, Lifecycle, Role)


def _by_key(items: list[_Keyed], key: str, what: str) -> _Keyed:
    for item in items:
        if item.key == key:
            return item
    known = ", ".join(item.key for item in items)
    raise KeyError(f"unknown {what} {key!r}; the plan has {known}")


def weekday_index(day: str) -> int:
    return WEEKDAYS.index(day)


def reference_problems(plan: Plan) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks across sections, each with the path of the value at fault."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for section in ("severities", "lifecycles", "incident_types", "roles"):
        seen: set[str] = set()
        for index, item in enumerate(getattr(plan, section)):
            if item.key in seen:
                problems.append(((section, index, "key"), f"duplicate key {item.key!r}"))
            seen.add(item.key)
    role_keys = [r.key for r in plan.roles]
    for index, severity in enumerate(plan.severities):
        for r_index, role in enumerate(severity.required_roles):
            if role not in role_keys:
                role_at: tuple[str | int, ...] = ("severities", index, "required_roles", r_index)
                problems.append(
                    (role_at, f"unknown role {role!r}; the plan has {', '.join(role_keys)}")
                )
    severities = [s.key for s in plan.severities]
    for q_index, question in enumerate(plan.classification.questions):
        for a_index, answer in enumerate(question.answers):
            if answer.severity not in severities:
                where = ("classification", "questions", q_index, "answers", a_index, "severity")
                problems.append(
                    (
                        where,
                        f"unknown severity {answer.severity!r}; the plan has {', '.join(severities)}",
                    )
                )
    lifecycles = sorted(lc.key for lc in plan.lifecycles)
    for index, incident_type in enumerate(plan.incident_types):
        if incident_type.lifecycle not in lifecycles:
            message = f"unknown lifecycle {incident_type.lifecycle!r}; the plan has {', '.join(lifecycles)}"
            problems.append((("incident_types", index, "lifecycle"), message))
    return problems
