"""Which playbooks apply to an incident and which of a run's steps are due.
Pure: the playbook, the incident's type and severity, and each step's status.

A step is reached when every step it waits for has settled (done, skipped,
or not applicable). Its condition is read at that moment, not when the run
started, so a severity raised before the step comes up still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fireline.playbooks.schema import Playbook, Step

PENDING = "pending"
OPEN = "open"
AWAITING_APPROVAL = "awaiting_approval"
RUNNING = "running"
DONE = "done"
SKIPPED = "skipped"
NOT_APPLICABLE = "not_applicable"
SETTLED = frozenset({DONE, SKIPPED, NOT_APPLICABLE})
ACTIVE = frozenset({OPEN, AWAITING_APPROVAL, RUNNING})


def applies(playbook: Playbook, type_key: str, severity: str) -> bool:
    return type_key in playbook.types and (
        not playbook.severities or severity in playbook.severities
    )


def step_applies(step: Step, type_key: str, severity: str) -> bool:
    if step.when is None:
        return True
    if step.when.severities and severity not in step.when.severities:
        return False
    return not (step.when.types and type_key not in step.when.types)


@dataclass(frozen=True)
class Reached:
    step: Step
    status: str  # not_applicable, awaiting_approval, running or open


def reach(
    playbook: Playbook, statuses: Mapping[str, str], type_key: str, severity: str
) -> list[Reached]:
    """The pending steps that are reached now, in order, with the status
    each takes. A step found not applicable settles at once, so steps that
    wait only for it are reached in the same call."""
    current = dict(statuses)
    reached: list[Reached] = []
    changed = True
    while changed:
        changed = False
        for step in playbook.steps:
            if current.get(step.key, PENDING) != PENDING:
                continue
            if not all(current.get(key, PENDING) in SETTLED for key in step.after):
                continue
            if not step_applies(step, type_key, severity):
                status = NOT_APPLICABLE
            elif step.approval is not None:
                status = AWAITING_APPROVAL
            elif step.action is not None:
                status = RUNNING
            else:
                status = OPEN
            current[step.key] = status
            reached.append(Reached(step, status))
            changed = True
    return reached


def finished(playbook: Playbook, statuses: Mapping[str, str]) -> bool:
    return all(statuses.get(step.key, PENDING) in SETTLED for step in playbook.steps)


@dataclass(frozen=True)
class Summary:
    total: int
    settled: int
    done: int
    skipped: int

    @property
    def percent(self) -> int:
        return round(100 * self.settled / self.total) if self.total else 100


def summarise(statuses: Mapping[str, str]) -> Summary:
    values = list(statuses.values())
    applicable = [v for v in values if v != NOT_APPLICABLE]
    return Summary(
        total=len(applicable),
        settled=sum(v in (DONE, SKIPPED) for v in applicable),
        done=values.count(DONE),
        skipped=values.count(SKIPPED),
    )
