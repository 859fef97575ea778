"""Which obligations a plan offers, and an obligation as plain data. Pure.

The catalog is the presets with the plan's own obligations over them: a
plan obligation with a preset's key replaces that preset, so an
organisation can follow its regulator's reading without a code change.

An incident keeps the obligation it attached as plain data (the shape of
the plan's ``obligations:`` entries), so later edits of the plan do not
move deadlines already running.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fireline.plan import schema
from fireline.plan.schema import Plan
from fireline.security.obligations.clocks import PRESETS, TRIGGER, YEAR_END, Obligation, Span, Stage

# Moments a person records, besides the trigger, that a clock may start from.
MOMENT_NAMES = {"aware": "Became aware of the incident", "ransom_paid": "Ransom paid"}


def catalog(plan: Plan) -> dict[str, Obligation]:
    """Every obligation an incident may attach, by key: presets first."""
    found = dict(PRESETS)
    for defined in plan.obligations:
        found[defined.key] = from_data(defined.model_dump(mode="json"))
    return found


def origin(plan: Plan, key: str) -> str:
    """``plan`` when the plan defines it (replacing any preset), else ``preset``."""
    return "plan" if any(o.key == key for o in plan.obligations) else "preset"


def to_data(obligation: Obligation) -> dict[str, Any]:
    return {
        "key": obligation.key,
        "name": obligation.name,
        "trigger": obligation.trigger,
        "stages": [
            {
                "key": stage.key,
                "name": stage.name,
                "clocks": [[start, str(span)] for start, span in stage.clocks],
                "when": stage.when,
            }
            for stage in obligation.stages
        ],
        "conditions": dict(obligation.conditions),
    }


def from_data(data: Mapping[str, Any]) -> Obligation:
    """The obligation in ``data``; a stage without clocks is owed without
    undue delay, with no fixed deadline (GDPR's notice to data subjects)."""
    # Checked as the plan checks its own, so a snapshot never holds what a plan could not.
    checked = schema.Obligation.model_validate(dict(data))
    return Obligation(
        checked.key,
        checked.name,
        checked.trigger,
        tuple(
            Stage(
                stage.key,
                stage.name,
                tuple((start, Span.parse(span)) for start, span in stage.clocks),
                stage.when,
                no_deadline=not stage.clocks,
            )
            for stage in checked.stages
        ),
        dict(checked.conditions),
    )


def moments(obligation: Obligation) -> list[str]:
    """The moments a person records for it: the trigger, then any other
    start its stages name that is not a stage (became aware, ransom paid)."""
    stage_keys = {stage.key for stage in obligation.stages}
    found = [TRIGGER]
    for stage in obligation.stages:
        for start, _span in stage.clocks:
            if start not in found and start not in stage_keys and start != YEAR_END:
                found.append(start)
    return found


def moment_name(obligation: Obligation, key: str) -> str:
    if key == TRIGGER:
        return obligation.trigger[:1].upper() + obligation.trigger[1:]
    return MOMENT_NAMES.get(key, key.replace("_", " ").capitalize())


def describe_clock(obligation: Obligation, start: str, span: Span) -> str:
    """``72h after became aware of a personal-data breach``."""
    stages = {stage.key: stage.name for stage in obligation.stages}
    if start == YEAR_END:
        after = "the end of the year"
    elif start in stages:
        after = f"the {stages[start].lower()} is submitted"
    else:
        after = moment_name(obligation, start).lower()
    return f"{span} after {after}"


def reminder_points(plan: Plan) -> list[timedelta]:
    """How long before a deadline to remind, longest first."""
    points = {point.span for point in plan.obligation_reminders if point.span is not None}
    return sorted(points, reverse=True)


def due_soon_window(plan: Plan) -> timedelta:
    """A deadline is due soon from the first reminder on (a day without any)."""
    points = reminder_points(plan)
    return points[0] if points else timedelta(hours=24)
