"""Checks across a playbook's values, each tied to the path of the value at
fault, so the plan loader and the playbook editor can point at its line."""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fireline.plan.checks import Location, Problem, unknown
from fireline.playbooks.schema import Playbook
from fireline.security.approvals import PHASES

_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)


def playbook_problems(
    playbook: Playbook,
    at: Location,
    *,
    roles: Sequence[str],
    types: Sequence[str],
    severities: Sequence[str],
) -> list[Problem]:
    problems: list[Problem] = []
    for index, type_key in enumerate(playbook.types):
        if type_key not in types:
            problems.append(
                Problem((*at, "types", index), unknown("incident type", type_key, types))
            )
    for index, severity in enumerate(playbook.severities):
        if severity not in severities:
            problems.append(
                Problem((*at, "severities", index), unknown("severity", severity, severities))
            )
    earlier: set[str] = set()
    for index, step in enumerate(playbook.steps):
        where: Location = (*at, "steps", index)
        if step.key in earlier:
            problems.append(Problem((*where, "key"), f"step {step.key!r} is defined twice"))
        if step.phase not in PHASES:
            problems.append(Problem((*where, "phase"), unknown("phase", step.phase, PHASES)))
        if step.owner_role is not None and step.owner_role not in roles:
            problems.append(
                Problem((*where, "owner_role"), unknown("role", step.owner_role, roles))
            )
        for n, key in enumerate(step.after):
            if key not in earlier:
                later = any(s.key == key for s in playbook.steps)
                message = (
                    f"step {key!r} comes later: a step can wait only for steps before it"
                    if later
                    else unknown("step", key, sorted(earlier))
                )
                problems.append(Problem((*where, "after", n), message))
        if step.approval is not None:
            for n, role in enumerate(step.approval.roles):
                if role not in roles:
                    problems.append(
                        Problem((*where, "approval", "roles", n), unknown("role", role, roles))
                    )
        if step.when is not None:
            for n, severity in enumerate(step.when.severities):
                if severity not in severities:
                    problems.append(
                        Problem(
                            (*where, "when", "severities", n),
                            unknown("severity", severity, severities),
                        )
                    )
            for n, type_key in enumerate(step.when.types):
                if type_key not in types:
                    problems.append(
                        Problem(
                            (*where, "when", "types", n), unknown("incident type", type_key, types)
                        )
                    )
        if step.action is not None:
            templates = {"path": step.action.path, "body": step.action.body}
            templates.update({f"headers.{k}": v for k, v in step.action.headers.items()})
            for name, source in templates.items():
                try:
                    _TEMPLATES.parse(source)
                except TemplateSyntaxError as exc:
                    path = (*where, "action", *name.split(".", 1))
                    problems.append(
                        Problem(path, f"template error on its line {exc.lineno}: {exc.message}")
                    )
        earlier.add(step.key)
    return problems
