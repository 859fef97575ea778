"""Saving and removing the scenarios kept in the database (uploaded by
admins through the API or the web page). Each change is in the audit chain."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.exercises import library
from fireline.exercises.models import StoredScenario
from fireline.exercises.schema import Scenario
from fireline.plan.loader import PlanError, PlanProblem
from fireline.plan.schema import Plan

MAX_SOURCE = 200_000


class ScenarioInvalid(InvalidInput):
    """Problems with line and column, for the form to show beside the text."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"line {first.line}, column {first.column}: "
            f"{first.path + ': ' if first.path else ''}{first.message}{more}",
            field="source",
        )


def check(plan: Plan, source: str) -> Scenario:
    if len(source) > MAX_SOURCE:
        raise InvalidInput(f"a scenario of at most {MAX_SOURCE:,} characters", field="source")
    try:
        return library.load_scenario_text(source, plan)
    except PlanError as exc:
        raise ScenarioInvalid(exc.problems) from None


def save(
    session: Session, plan: Plan, principal: Principal, now: datetime, source: str
) -> Scenario:
    """Store ``source`` (YAML), replacing a stored scenario with the same key."""
    scenario = check(plan, source)
    stored = session.scalar(select(StoredScenario).where(StoredScenario.key == scenario.key))
    created = stored is None
    if stored is None:
        stored = StoredScenario(key=scenario.key, created_at=now, source="", updated_at=now)
        session.add(stored)
    stored.source, stored.updated_at, stored.updated_by_id = source, now, principal.user_id
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="exercise.scenario_created" if created else "exercise.scenario_updated",
        object_type="exercise_scenario",
        object_id=stored.id,
        changes={"key": scenario.key, "sha256": hashlib.sha256(source.encode()).hexdigest()},
        now=now,
    )
    return scenario


def remove(session: Session, principal: Principal, now: datetime, key: str) -> None:
    stored = session.scalar(select(StoredScenario).where(StoredScenario.key == key))
    if stored is None:
        raise NotFound(
            f"no scenario {key!r} is kept in the database (built-in ones cannot be removed)",
            field="key",
        )
    audit.record(
        session,
        actor=principal.actor,
        action="exercise.scenario_removed",
        object_type="exercise_scenario",
        object_id=stored.id,
        changes={"key": key},
        now=now,
    )
    session.delete(stored)


def stored_source(session: Session, key: str) -> str | None:
    return session.scalar(select(StoredScenario.source).where(StoredScenario.key == key))
