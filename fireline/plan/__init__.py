"""The incident response plan as code: ``fireline.yaml`` over built-in defaults."""

from fireline.plan.calendar import BusinessCalendar
from fireline.plan.durations import Duration
from fireline.plan.loader import (
    PlanError,
    PlanProblem,
    default_plan,
    load_effective_plan,
    load_plan_file,
    load_plan_text,
)
from fireline.plan.schema import Plan

__all__ = [
    "BusinessCalendar",
    "Duration",
    "Plan",
    "PlanError",
    "PlanProblem",
    "default_plan",
    "load_effective_plan",
    "load_plan_file",
    "load_plan_text",
]
