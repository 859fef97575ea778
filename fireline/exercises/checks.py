"""Checks of a scenario against the plan, each tied to the path of the value
at fault so the loader can point at its line. Services are not checked here:
they live in the catalog, and a run checks them when it starts."""

from __future__ import annotations

from fireline.exercises.schema import FACILITATOR, Scenario
from fireline.plan.checks import Location, Problem, unknown
from fireline.plan.schema import Plan


def scenario_problems(plan: Plan, scenario: Scenario, at: Location = ()) -> list[Problem]:
    roles = [r.key for r in plan.roles]
    types = [t.key for t in plan.incident_types]
    severities = [s.key for s in plan.severities]
    problems: list[Problem] = []
    spec = scenario.incident
    if spec.type not in types:
        problems.append(
            Problem((*at, "incident", "type"), unknown("incident type", spec.type, types))
        )
        states: list[str] = []
    else:
        states = list(plan.lifecycle_of(spec.type).states)
    if spec.severity not in severities:
        problems.append(
            Problem((*at, "incident", "severity"), unknown("severity", spec.severity, severities))
        )
    seen: set[str] = set()
    for index, inject in enumerate(scenario.injects):
        where: Location = (*at, "injects", index)
        if inject.key in seen:
            problems.append(Problem((*where, "key"), f"inject {inject.key!r} is defined twice"))
        seen.add(inject.key)
        speaker = inject.message.from_ if inject.message is not None else FACILITATOR
        if speaker != FACILITATOR and speaker not in roles:
            message = unknown("role", speaker, [FACILITATOR, *roles])
            problems.append(Problem((*where, "message", "from"), message))
        asked = inject.question.role if inject.question is not None else None
        if asked is not None and asked not in roles:
            problems.append(Problem((*where, "question", "role"), unknown("role", asked, roles)))
        if inject.status is not None:
            status = inject.status
            if status.severity is not None and status.severity not in severities:
                message = unknown("severity", status.severity, severities)
                problems.append(Problem((*where, "status", "severity"), message))
            if status.status is not None and states and status.status not in states:
                message = unknown(f"state of {spec.type}", status.status, states)
                problems.append(Problem((*where, "status", "status"), message))
    return problems
