"""Which scenarios exist: the built-in ones that fit the plan and those kept
in the database (uploaded by admins), a stored one replacing a built-in one
with the same key. Also reading a scenario from YAML, with every problem at
its line and column."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.errors import NotFound
from fireline.exercises.checks import scenario_problems
from fireline.exercises.models import StoredScenario
from fireline.exercises.schema import Scenario
from fireline.plan.checks import Location, Problem
from fireline.plan.loader import (
    PlanError,
    PlanProblem,
    Positions,
    _at,
    _in_file_order,
    _parse,
    _schema_problem,
    _unwrap,
)
from fireline.plan.schema import Plan

BUILTIN, STORED = "built-in", "stored"


@dataclass(frozen=True)
class Entry:
    scenario: Scenario
    origin: str  # built-in or stored


@cache
def builtin_scenarios() -> tuple[Scenario, ...]:
    folder = resources.files("fireline.exercises").joinpath("builtin")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.append(Scenario.model_validate(yaml.safe_load(entry.read_text("utf-8"))))
    return tuple(found)


def available(session: Session, plan: Plan) -> dict[str, Entry]:
    """Every scenario in effect, by key, sorted by name. A built-in one that
    names a type, severity or role the plan lacks is left out."""
    found: dict[str, Entry] = {
        s.key: Entry(s, BUILTIN) for s in builtin_scenarios() if not scenario_problems(plan, s)
    }
    for stored in session.scalars(select(StoredScenario)):
        try:
            found[stored.key] = Entry(load_scenario_text(stored.source, plan), STORED)
        except PlanError:
            continue  # the plan changed under it; validating it again shows why
    return dict(sorted(found.items(), key=lambda item: item[1].scenario.name.lower()))


def get(session: Session, plan: Plan, key: str) -> Entry:
    entries = available(session, plan)
    if key not in entries:
        raise NotFound(
            f"no scenario {key!r}; there are {', '.join(entries) or 'none'}", field="scenario"
        )
    return entries[key]


def load_scenario_text(text: str, plan: Plan, source: str = "scenario.yaml") -> Scenario:
    """A scenario from YAML, checked against the plan; PlanError lists every
    problem with its line and column."""
    data, positions, problems = _parse(text, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += [_schema_error(error, positions) for error in exc.errors()]
        raise PlanError(source, _in_file_order(problems)) from None
    for problem in scenario_problems(plan, scenario):
        problems.append(_at(problem, problem.message, positions))
    if problems:
        raise PlanError(source, _in_file_order(problems))
    return scenario


def _schema_error(error: Any, positions: Positions) -> PlanProblem:
    """As the plan reports it, with unknown keys compared to the scenario's own."""
    location: Location = tuple(error["loc"])
    if error["type"] != "extra_forbidden":
        return _schema_problem(error, positions)
    key = str(location[-1])
    message = f"unknown key {key!r}"
    suggestion = difflib.get_close_matches(key, _allowed_keys(location[:-1]), n=1)
    if suggestion:
        message += f"; did you mean {suggestion[0]!r}?"
    return _at(Problem(location, message, at_key=True), message, positions)


def _allowed_keys(location: Location) -> list[str]:
    annotation: Any = Scenario
    for part in location:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
            if str(part) not in fields:
                return []
            annotation = fields[str(part)].annotation
        elif typing.get_origin(annotation) is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or name for name, f in annotation.model_fields.items()]
    return []


def to_yaml(scenario: Scenario) -> str:
    """The scenario as a file would say it, without the defaults."""
    data = scenario.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    data = {"key": scenario.key, "name": scenario.name, "kind": scenario.kind, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
