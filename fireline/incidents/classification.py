"""Suggest a severity from the plan's classification questions.

The rule is deliberately simple and explainable: the most severe answer wins,
and the suggestion says which answers drove it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fireline.core.errors import InvalidInput
from fireline.plan.schema import Plan


@dataclass(frozen=True)
class Suggestion:
    severity: str
    because: tuple[str, ...]  # "question: answer" texts that point to the suggested severity


def suggest_severity(plan: Plan, answers: dict[str, str]) -> Suggestion | None:
    """``answers`` maps question keys to answer keys; unanswered questions are skipped."""
    questions = {q.key: q for q in plan.classification.questions}
    rank = {s.key: index for index, s in enumerate(plan.severities)}
    chosen: list[tuple[int, str, str]] = []
    for question_key, answer_key in answers.items():
        question = questions.get(question_key)
        if question is None:
            known = ", ".join(questions) or "none"
            raise InvalidInput(
                f"unknown question {question_key!r}; the plan asks {known}",
                field=f"classification.{question_key}",
            )
        answer = next((a for a in question.answers if a.key == answer_key), None)
        if answer is None:
            known = ", ".join(a.key for a in question.answers)
            raise InvalidInput(
                f"unknown answer {answer_key!r}; expected one of {known}",
                field=f"classification.{question_key}",
            )
        chosen.append((rank[answer.severity], answer.severity, f"{question.text} {answer.text}"))
    if not chosen:
        return None
    top = min(r for r, _, _ in chosen)
    severity = next(s for r, s, _ in chosen if r == top)
    return Suggestion(severity, tuple(reason for r, _, reason in chosen if r == top))
