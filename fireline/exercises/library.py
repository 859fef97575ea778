"""Which scenarios exist: the built-in ones that fit the plan and those kept
in the database (uploaded by admins), a stored one replacing a built-in one
with the same key. Also reading a scenario from YAML, with every problem at
its line and column."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.errors import NotFound
from fireline.exercises.checks import scenario_problems
from fireline.exercises.models import StoredScenario
from fireline.exercises.schema import Scenario
from fireline.plan.loader import PlanError, load_yaml_model
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
    return load_yaml_model(
        text, Scenario, source, lambda scenario: scenario_problems(plan, scenario)
    )


def to_yaml(scenario: Scenario) -> str:
    """The scenario as a file would say it, without the defaults."""
    data = scenario.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    data = {"key": scenario.key, "name": scenario.name, "kind": scenario.kind, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
