"""JSON API for the maturity assessment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require, require_viewer
from fireline.core.strict import Strict
from fireline.incidents.api import get_plan
from fireline.maturity import model, service
from fireline.people.models import Role
from fireline.plan.schema import Plan

router = APIRouter(prefix="/api/v1/maturity", tags=["maturity"])


class AnswersIn(Strict):
    answers: dict[str, bool] = Field(description="question key → yes (true) or no (false)")
    notes: dict[str, str] = Field(default_factory=dict, description="question key → a note")


def as_json(assessment: service.Assessment) -> dict[str, Any]:
    return {
        "assessed_at": assessment.at,
        "overall": {"level": assessment.overall, "name": model.LEVELS[assessment.overall][0]},
        "areas": [
            {
                "area": r.area,
                "name": r.name,
                "level": r.level,
                "level_name": r.level_name,
                "evidence": [
                    {
                        "level": c.criterion.level,
                        "criterion": c.criterion.text,
                        "met": c.met,
                        "evidence": c.evidence,
                    }
                    for c in r.checks
                ],
                "next_milestones": [c.text for c in r.next_milestones],
            }
            for r in assessment.results
        ],
        "signals": assessment.signals,
        "questions": [
            {
                "key": q.key,
                "area": q.area,
                "text": q.text,
                "answer": assessment.answers[q.key].answer if q.key in assessment.answers else None,
            }
            for q in model.QUESTIONS
        ],
    }


@router.get("")
def get_assessment(
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    return as_json(service.assess(session, plan, principal, now))


@router.put("/answers")
def put_answers(
    body: AnswersIn,
    principal: Principal = Depends(require(Role.manager)),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> dict[str, Any]:
    service.answer(session, principal, now, body.answers, body.notes)
    session.commit()
    return as_json(service.assess(session, plan, principal, now))
