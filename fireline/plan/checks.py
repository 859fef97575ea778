"""Checks across a plan's sections, each problem tied to the path of the value at fault.

Field types and shapes are pydantic's job (``schema.py``); what is left here
needs more than one value at a time: unique keys, references from one section
to another, and lifecycle graphs that make sense.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fireline.plan.schema import Lifecycle, Obligation, Plan

Location = tuple[str | int, ...]

# Where an obligation's clock may start besides an earlier stage: the trigger,
# the moments a person records (became aware, ransom paid), the trigger's year end.
OBLIGATION_STARTS = ("trigger", "aware", "ransom_paid", "year_end")

# Deliberately loose: the point is to catch a name pasted where an address belongs.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    at_key: bool = False  # point at the mapping key itself, not at its value

    @property
    def dotted(self) -> str:
        return dotted(self.location)


def dotted(location: Location) -> str:
    """``("severities", 1, "response")`` as ``severities[1].response``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def unknown(what: str, value: str, known: Sequence[str]) -> str:
    message = f"unknown {what} {value!r}"
    close = difflib.get_close_matches(value, known, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return f"{message} (the plan has {', '.join(known) or 'none'})"


def plan_problems(plan: Plan) -> list[Problem]:
    return [
        *_unique_keys(plan),
        *_business_hours(plan),
        *_extra_days(plan),
        *_severities(plan),
        *_audiences(plan),
        *(p for i, lc in enumerate(plan.lifecycles) for p in lifecycle_problems(lc, i)),
        *_incident_types(plan),
        *_classification(plan),
        *_obligations(plan),
        *_playbooks(plan),
        *_postmortem(plan),
        *_duplicates(
            (str(point) for point in plan.obligation_reminders),
            ("obligation_reminders",),
            "reminder point",
        ),
    ]


def _playbooks(plan: Plan) -> list[Problem]:
    # Imported here: the playbook checks build on this module's Problem.
    from fireline.playbooks.checks import playbook_problems

    problems = [
        Problem((*duplicate.location, "key"), duplicate.message)
        for duplicate in _duplicates((p.key for p in plan.playbooks), ("playbooks",), "key")
    ]
    for index, playbook in enumerate(plan.playbooks):
        problems += playbook_problems(
            playbook,
            ("playbooks", index),
            roles=[r.key for r in plan.roles],
            types=[t.key for t in plan.incident_types],
            severities=[s.key for s in plan.severities],
        )
    return problems


def _postmortem(plan: Plan) -> list[Problem]:
    severities = [s.key for s in plan.severities]
    return [
        Problem(("postmortem", "required_for", index), unknown("severity", key, severities))
        for index, key in enumerate(plan.postmortem.required_for or ())
        if key not in severities
    ]


def _duplicates(values: Iterable[object], where: Location, what: str) -> list[Problem]:
    seen: set[object] = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(Problem((*where, index), f"duplicate {what} {value!r}"))
        seen.add(value)
    return problems


def _unique_keys(plan: Plan) -> list[Problem]:
    problems = []
    for section in ("severities", "lifecycles", "incident_types", "roles"):
        seen: set[str] = set()
        for index, item in enumerate(getattr(plan, section)):
            if item.key in seen:
                problems.append(Problem((section, index, "key"), f"duplicate key {item.key!r}"))
            seen.add(item.key)
    return problems


def _business_hours(plan: Plan) -> list[Problem]:
    hours = plan.business_hours
    problems = _duplicates(hours.days, ("business_hours", "days"), "day")
    for day in hours.by_day:
        if day not in hours.days:
            days = ", ".join(dict.fromkeys(hours.days))
            message = f"{day} has hours but is not one of business_hours.days ({days})"
            problems.append(Problem(("business_hours", "by_day", day), message, at_key=True))
    return problems


def _extra_days(plan: Plan) -> list[Problem]:
    problems = []
    seen: set[object] = set()
    for index, day in enumerate(plan.holidays.extra_days):
        if day.date in seen:
            where: Location = ("holidays", "extra_days", index, "date")
            problems.append(Problem(where, f"{day.date} is listed twice"))
        seen.add(day.date)
    return problems


def _severities(plan: Plan) -> list[Problem]:
    problems = []
    roles = [r.key for r in plan.roles]
    for index, severity in enumerate(plan.severities):
        for r_index, role in enumerate(severity.required_roles):
            if role not in roles:
                where: Location = ("severities", index, "required_roles", r_index)
                problems.append(Problem(where, unknown("role", role, roles)))
        for c_index, contact in enumerate(severity.escalation_contacts):
            if not _EMAIL.fullmatch(contact):
                where = ("severities", index, "escalation_contacts", c_index)
                problems.append(Problem(where, f"{contact!r} is not an e-mail address"))
        audiences = [a.key for a in plan.audiences]
        for a_index, audience in enumerate(severity.stakeholders):
            if audience not in audiences:
                where = ("severities", index, "stakeholders", a_index)
                problems.append(Problem(where, unknown("audience", audience, audiences)))
    return problems


def _audiences(plan: Plan) -> list[Problem]:
    problems = _duplicates([a.key for a in plan.audiences], ("audiences",), "audience")
    for index, audience in enumerate(plan.audiences):
        for e_index, email in enumerate(audience.emails):
            if not _EMAIL.fullmatch(email):
                where: Location = ("audiences", index, "emails", e_index)
                problems.append(Problem(where, f"{email!r} is not an e-mail address"))
        for c_index, url in enumerate(audience.chat):
            if "://" not in url:
                where = ("audiences", index, "chat", c_index)
                problems.append(Problem(where, f"{url!r} is not an Apprise URL like slack://…"))
    return problems


def lifecycle_problems(lifecycle: Lifecycle, index: int) -> list[Problem]:
    """States unique, transitions between known states, every state reachable."""
    at: Location = ("lifecycles", index)
    problems = _duplicates(lifecycle.states, (*at, "states"), "state")
    states = list(dict.fromkeys(lifecycle.states))
    for source, targets in lifecycle.transitions.items():
        if source not in states:
            message = unknown("state", source, states)
            problems.append(Problem((*at, "transitions", source), message, at_key=True))
        for t_index, target in enumerate(targets):
            if target not in states:
                message = unknown("state", target, states)
                problems.append(Problem((*at, "transitions", source, t_index), message))
    reached = _reachable(lifecycle)
    for s_index, state in enumerate(lifecycle.states):
        if state not in reached:
            message = (
                f"state {state!r} cannot be reached from {lifecycle.initial!r}, the first state;"
                " add a transition to it"
            )
            problems.append(Problem((*at, "states", s_index), message))
    return problems


def _reachable(lifecycle: Lifecycle) -> set[str]:
    reached = {lifecycle.initial}
    frontier = [lifecycle.initial]
    while frontier:
        for target in lifecycle.allowed_from(frontier.pop()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    return reached


def _incident_types(plan: Plan) -> list[Problem]:
    problems = []
    lifecycles = [lc.key for lc in plan.lifecycles]
    for index, incident_type in enumerate(plan.incident_types):
        if incident_type.lifecycle not in lifecycles:
            message = unknown("lifecycle", incident_type.lifecycle, lifecycles)
            problems.append(Problem(("incident_types", index, "lifecycle"), message))
    return problems


def _classification(plan: Plan) -> list[Problem]:
    at: Location = ("classification", "questions")
    questions = plan.classification.questions
    problems = [
        Problem((*duplicate.location, "key"), duplicate.message)
        for duplicate in _duplicates((q.key for q in questions), at, "key")
    ]
    severities = [s.key for s in plan.severities]
    for q_index, question in enumerate(questions):
        answers_at: Location = (*at, q_index, "answers")
        for duplicate in _duplicates((a.key for a in question.answers), answers_at, "key"):
            problems.append(Problem((*duplicate.location, "key"), duplicate.message))
        for a_index, answer in enumerate(question.answers):
            if answer.severity not in severities:
                where: Location = (*answers_at, a_index, "severity")
                problems.append(Problem(where, unknown("severity", answer.severity, severities)))
    return problems


def _obligations(plan: Plan) -> list[Problem]:
    problems = [
        Problem((*duplicate.location, "key"), duplicate.message)
        for duplicate in _duplicates((o.key for o in plan.obligations), ("obligations",), "key")
    ]
    for index, obligation in enumerate(plan.obligations):
        problems += obligation_problems(obligation, ("obligations", index))
    return problems


def obligation_problems(obligation: Obligation, at: Location) -> list[Problem]:
    """Stage keys unique, clocks that start at something that happens before
    them, conditions that are asked."""
    problems = [
        Problem((*duplicate.location, "key"), duplicate.message)
        for duplicate in _duplicates((s.key for s in obligation.stages), (*at, "stages"), "key")
    ]
    earlier: list[str] = []
    conditions = list(obligation.conditions)
    for s_index, stage in enumerate(obligation.stages):
        stage_at: Location = (*at, "stages", s_index)
        for c_index, (start, _span) in enumerate(stage.clocks):
            if start in OBLIGATION_STARTS or start in earlier:
                continue
            later = [s.key for s in obligation.stages[s_index:]]
            if start in later:
                message = (
                    f"stage {start!r} does not come before {stage.key!r}; a clock starts at"
                    f" {', '.join(OBLIGATION_STARTS)} or an earlier stage"
                )
            else:
                known = [*OBLIGATION_STARTS, *earlier]
                message = f"unknown clock start {start!r}{_close(start, known)}"
                message += f" (use {', '.join(known)})"
            problems.append(Problem((*stage_at, "clocks", c_index, 0), message))
        if stage.when is not None and stage.when not in conditions:
            problems.append(Problem((*stage_at, "when"), _unasked(stage.when, conditions)))
        earlier.append(stage.key)
    return problems


def _close(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unasked(condition: str, asked: Sequence[str]) -> str:
    listing = f"it asks {', '.join(asked)}" if asked else "it asks none"
    return (
        f"condition {condition!r} is not one of the obligation's conditions{_close(condition, asked)}"
        f" ({listing}; add it there with its question)"
    )
