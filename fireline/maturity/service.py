"""Answering the questionnaire and assessing: the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.maturity import model, signals
from fireline.maturity.models import MaturityAnswer
from fireline.plan.schema import Plan

MAX_NOTE = 2000


@dataclass(frozen=True)
class Assessment:
    at: datetime
    results: list[model.AreaResult]
    overall: int
    answers: dict[str, MaturityAnswer]
    signals: dict[str, float | None]


def answers(session: Session) -> dict[str, MaturityAnswer]:
    return {a.question: a for a in session.scalars(select(MaturityAnswer))}


def answer(
    session: Session,
    principal: Principal,
    now: datetime,
    given: Mapping[str, bool],
    notes: Mapping[str, str] | None = None,
) -> None:
    """Record answers (the latest wins); the change is in the audit chain."""
    notes = notes or {}
    for key in [*given, *notes]:
        if key not in model.QUESTION_KEYS:
            raise InvalidInput(
                f"unknown question {key!r}; the questions are {', '.join(sorted(model.QUESTION_KEYS))}",
                field=f"answers.{key}",
            )
        if len(notes.get(key, "")) > MAX_NOTE:
            raise InvalidInput(f"a note of at most {MAX_NOTE} characters", field=f"notes.{key}")
    current = answers(session)
    changed = {}
    for key, value in given.items():
        row = current.get(key)
        if row is None:
            row = MaturityAnswer(question=key, answer=value, answered_at=now)
            session.add(row)
        if row.answer != value or row.id is None:
            changed[key] = value
        row.answer, row.answered_at, row.answered_by_id = value, now, principal.user_id
        row.note = notes.get(key, row.note or "").strip()
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="maturity.answered",
        object_type="maturity",
        object_id="questionnaire",
        changes={"answers": dict(given), "changed": changed},
        now=now,
    )


def assess(session: Session, plan: Plan, principal: Principal, now: datetime) -> Assessment:
    given = answers(session)
    measured = signals.measure(session, plan, principal, now)
    results = model.assess({k: a.answer for k, a in given.items()}, measured)
    return Assessment(now, results, model.overall(results), given, measured)
