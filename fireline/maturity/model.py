"""The incident response maturity model: five levels per capability area,
from a short questionnaire and signals measured from fireline's own data.
Pure: answers and measured signals in, a level per area with its evidence
and the next milestones out.

An area reaches a level when every criterion of that level and of the levels
below it holds; level 1 (ad hoc) needs nothing. The criteria climb the way
the model does: practices that exist (2), are written down and used every
time (3), are measured against targets (4), and keep improving (5).
Measured signals outrank answers: a team may believe it writes post-mortems,
the data says how many were published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LEVELS = {
    1: ("Ad hoc", "Incidents are handled by whoever notices, differently each time."),
    2: ("Repeatable", "The basics exist and are used: on-call, declared incidents, a commander."),
    3: ("Defined", "The process is written down, covers every kind of incident and is followed."),
    4: ("Measured", "The process is measured against its targets, and it meets them."),
    5: (
        "Optimising",
        "Measurements drive improvement; the process is tested and keeps getting better.",
    ),
}
AREAS = {
    "detection": "Detection",
    "triage": "Triage",
    "communication": "Communication",
    "mitigation": "Mitigation",
    "learning": "Post-incident learning",
    "security": "Security response",
    "preparation": "Preparation",
}


@dataclass(frozen=True)
class Question:
    key: str
    area: str
    text: str


QUESTIONS = (
    Question(
        "monitoring_alerts",
        "detection",
        "Do your services send alerts from monitoring to on-call people?",
    ),
    Question(
        "alert_ownership", "detection", "Does every alert route to a service with an owning team?"
    ),
    Question(
        "severity_definitions",
        "triage",
        "Do responders use written severity definitions to triage?",
    ),
    Question(
        "commander_named", "triage", "Is a single incident commander named for every incident?"
    ),
    Question(
        "stakeholder_plan",
        "communication",
        "Is it written down who is told about incidents, how and how often?",
    ),
    Question(
        "public_status",
        "communication",
        "Do customers learn about outages from a status page rather than support tickets?",
    ),
    Question(
        "runbooks", "mitigation", "Do critical services have runbooks for rollback and failover?"
    ),
    Question(
        "change_visibility",
        "mitigation",
        "Can responders see what changed recently on the affected services?",
    ),
    Question(
        "blameless", "learning", "Are post-mortems blameless and shared beyond the team involved?"
    ),
    Question(
        "actions_tracked",
        "learning",
        "Are post-mortem action items tracked to closure with owners and dates?",
    ),
    Question(
        "security_plan",
        "security",
        "Is there a security incident plan following NIST SP 800-61 or ISO/IEC 27035?",
    ),
    Question(
        "legal_contacts",
        "security",
        "Are legal, privacy and HR contacts known before an incident happens?",
    ),
    Question("plan_reviewed", "preparation", "Is the response plan reviewed at least once a year?"),
    Question("exercises", "preparation", "Do you run tabletop or game-day exercises?"),
)
QUESTION_KEYS = frozenset(q.key for q in QUESTIONS)


@dataclass(frozen=True)
class Signal:
    key: str
    area: str
    text: str  # what is measured, for people
    unit: str  # "share" (0..1), "hours" or "count"
    lower_is_better: bool = False


SIGNALS = {
    s.key: s
    for s in (
        Signal("alert_detected_share", "detection", "incidents that came from an alert", "share"),
        Signal("services_with_integration", "detection", "services that receive alerts", "share"),
        Signal("commander_share", "triage", "incidents with a commander", "share"),
        Signal(
            "response_sla_met",
            "triage",
            "incidents acknowledged within the response target",
            "share",
        ),
        Signal(
            "updates_sent_share",
            "communication",
            "SEV1–SEV2 incidents with a stakeholder or public update",
            "share",
        ),
        Signal(
            "resolution_sla_met",
            "mitigation",
            "incidents resolved within the resolution target",
            "share",
        ),
        Signal(
            "median_mttr_hours",
            "mitigation",
            "median time to resolve",
            "hours",
            lower_is_better=True,
        ),
        Signal(
            "postmortem_published_share",
            "learning",
            "SEV1–SEV2 incidents with a published post-mortem",
            "share",
        ),
        Signal(
            "actions_on_time_share", "learning", "action items closed by their due date", "share"
        ),
        Signal(
            "security_classified_share",
            "security",
            "security incidents classified with a decision",
            "share",
        ),
        Signal("obligations_on_time_share", "security", "notification deadlines met", "share"),
        Signal("playbook_coverage", "preparation", "incident types with a playbook", "share"),
        Signal(
            "exercises_last_quarter", "preparation", "exercises run in the last 90 days", "count"
        ),
        Signal(
            "services_with_policy", "preparation", "services with an escalation policy", "share"
        ),
    )
}


@dataclass(frozen=True)
class Criterion:
    area: str
    level: int
    text: str
    question: str | None = None
    signal: str | None = None
    threshold: float = 0.0  # the signal's value must be at least this (at most, if lower is better)


def _q(area: str, level: int, key: str) -> Criterion:
    text = next(q.text for q in QUESTIONS if q.key == key)
    return Criterion(area, level, f"Answered yes: {text}", question=key)


def _s(area: str, level: int, key: str, threshold: float) -> Criterion:
    signal = SIGNALS[key]
    if signal.unit == "share":
        goal = f"at least {threshold:.0%}"
    elif signal.lower_is_better:
        goal = f"at most {threshold:g} {signal.unit}"
    else:
        goal = f"at least {threshold:g}"
    return Criterion(
        area, level, f"{signal.text.capitalize()}: {goal}", signal=key, threshold=threshold
    )


CRITERIA = (
    _q("detection", 2, "monitoring_alerts"),
    _s("detection", 3, "services_with_integration", 0.5),
    _q("detection", 3, "alert_ownership"),
    _s("detection", 4, "alert_detected_share", 0.6),
    _s("detection", 5, "alert_detected_share", 0.85),
    _s("detection", 5, "services_with_integration", 0.9),
    _q("triage", 2, "commander_named"),
    _q("triage", 3, "severity_definitions"),
    _s("triage", 3, "commander_share", 0.9),
    _s("triage", 4, "response_sla_met", 0.8),
    _s("triage", 5, "response_sla_met", 0.95),
    _q("communication", 2, "stakeholder_plan"),
    _q("communication", 3, "public_status"),
    _s("communication", 3, "updates_sent_share", 0.5),
    _s("communication", 4, "updates_sent_share", 0.8),
    _s("communication", 5, "updates_sent_share", 0.95),
    _q("mitigation", 2, "runbooks"),
    _q("mitigation", 3, "change_visibility"),
    _s("mitigation", 4, "resolution_sla_met", 0.8),
    _s("mitigation", 4, "median_mttr_hours", 24),
    _s("mitigation", 5, "resolution_sla_met", 0.95),
    _s("mitigation", 5, "median_mttr_hours", 1),  # DORA's "elite" time to restore
    _q("learning", 2, "blameless"),
    _q("learning", 3, "actions_tracked"),
    _s("learning", 3, "postmortem_published_share", 0.5),
    _s("learning", 4, "postmortem_published_share", 0.8),
    _s("learning", 4, "actions_on_time_share", 0.6),
    _s("learning", 5, "postmortem_published_share", 0.95),
    _s("learning", 5, "actions_on_time_share", 0.85),
    _q("security", 2, "legal_contacts"),
    _q("security", 3, "security_plan"),
    _s("security", 3, "security_classified_share", 0.5),
    _s("security", 4, "security_classified_share", 0.9),
    _s("security", 4, "obligations_on_time_share", 0.9),
    _s("security", 5, "obligations_on_time_share", 1.0),
    _q("preparation", 2, "plan_reviewed"),
    _s("preparation", 3, "services_with_policy", 0.8),
    _s("preparation", 3, "playbook_coverage", 0.5),
    _q("preparation", 4, "exercises"),
    _s("preparation", 4, "exercises_last_quarter", 1),
    _s("preparation", 5, "exercises_last_quarter", 3),
    _s("preparation", 5, "playbook_coverage", 0.9),
)


@dataclass(frozen=True)
class Check:
    criterion: Criterion
    met: bool
    evidence: str  # the answer or the measured value, in words


@dataclass(frozen=True)
class AreaResult:
    area: str
    name: str
    level: int
    checks: tuple[Check, ...]  # every criterion up to the next level, met or not

    @property
    def level_name(self) -> str:
        return LEVELS[self.level][0]

    @property
    def next_milestones(self) -> tuple[Criterion, ...]:
        """What the area still lacks for its next level."""
        return tuple(
            c.criterion for c in self.checks if c.criterion.level == self.level + 1 and not c.met
        )


def _value_text(signal: Signal, value: float | None) -> str:
    if value is None:
        return "not measurable yet (fewer than 3 cases in the period)"
    if signal.unit == "share":
        return f"measured {value:.0%}"
    if signal.unit == "hours":
        return f"measured {value:.1f} h"
    return f"measured {value:g}"


def check(
    criterion: Criterion, answers: Mapping[str, bool], signals: Mapping[str, float | None]
) -> Check:
    if criterion.question is not None:
        answer = answers.get(criterion.question)
        words = {True: "answered yes", False: "answered no", None: "not answered"}[answer]
        return Check(criterion, answer is True, words)
    assert criterion.signal is not None
    signal = SIGNALS[criterion.signal]
    value = signals.get(criterion.signal)
    if value is None:
        met = False
    elif signal.lower_is_better:
        met = value <= criterion.threshold
    else:
        met = value >= criterion.threshold
    return Check(criterion, met, _value_text(signal, value))


def assess(answers: Mapping[str, bool], signals: Mapping[str, float | None]) -> list[AreaResult]:
    results = []
    for area, name in AREAS.items():
        criteria = [c for c in CRITERIA if c.area == area]
        checks = [check(c, answers, signals) for c in criteria]
        level = 1
        for candidate in range(2, 6):
            if all(k.met for k in checks if k.criterion.level == candidate):
                level = candidate
            else:
                break
        shown = tuple(k for k in checks if k.criterion.level <= level + 1)
        results.append(AreaResult(area, name, level, shown))
    return results


def overall(results: list[AreaResult]) -> int:
    """The organisation's level: its weakest area, as a chain is its weakest link."""
    return min(r.level for r in results) if results else 1
