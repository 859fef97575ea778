"""Demo data: the ransomware tabletop, run a few weeks ago and finished:
every inject delivered at its time, the team's answers on the timeline,
the objectives judged, so the after-action report has something to say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, principal_of
from fireline.core.errors import AppError
from fireline.exercises import service
from fireline.exercises.models import ExerciseRun
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.models import Incident, Task
from fireline.people.models import User
from fireline.plan.schema import Plan

SCENARIO = "ransomware-tabletop"
FACILITATOR = "grace@demo.fireline.dev"
COMMANDER = "sam@demo.fireline.dev"
OPERATIONS = "linus@demo.fireline.dev"
ADMIN = "admin@demo.fireline.dev"

# What the team did, in minutes from the start: the answers a facilitator
# would have heard around the table, typed into the incident as they went.
NOTES = [
    (
        7,
        OPERATIONS,
        "EDR isolation requested for db-prod-03; waiting for approval before pulling it.",
    ),
    (12, COMMANDER, "Ransom note hash recorded; memory image of db-prod-03 started with AVML."),
    (
        14,
        OPERATIONS,
        "Last night's base backup of postgres-main is on the offline vault, checksum verified.",
    ),
    (18, COMMANDER, "db-prod-04 and fs-01 isolated at the switch; svc-backup disabled in AD."),
    (
        33,
        ADMIN,
        "Legal and privacy joined; the sample rows hold names and e-mails: treating as a personal-data breach.",
    ),
    (38, COMMANDER, "Became aware at 09:32: GDPR Art. 33 clock runs to the same time in 72 hours."),
    (
        52,
        COMMANDER,
        "First executive update sent: scope, containment, no payment, next update in 30 minutes.",
    ),
    (
        58,
        ADMIN,
        "Holding statement for the press agreed with legal: 'investigating an IT incident'.",
    ),
]
# Objectives by position: met, and what the facilitator saw.
VERDICTS = [
    (True, "Sam took command at 09:04 and named himself security lead."),
    (True, "Isolation of db-prod-03 approved by the commander and carried out at 09:18."),
    (True, "Ransom note and memory image preserved before any rebuild was discussed."),
    (True, "Legal and privacy joined at 09:33; Art. 33 applies, clock started."),
    (False, "The first executive update went out at 09:52, 22 minutes after the target."),
]


def seed_exercises(session: Session, plan: Plan, now: datetime) -> ExerciseRun | None:
    """Once only: nothing when a run of the scenario exists, or when the
    demo's people or services are missing."""
    if session.scalar(select(ExerciseRun.id).where(ExerciseRun.scenario_key == SCENARIO)):
        return None
    people = {u.email: u for u in session.scalars(select(User))}
    if not all(email in people for email in (FACILITATOR, COMMANDER, OPERATIONS, ADMIN)):
        return None

    def who(email: str) -> Principal:
        return principal_of(people[email], "demo")

    start = (now - timedelta(days=23)).replace(hour=9, minute=0, second=0, microsecond=0)
    try:
        run = service.start_run(session, plan, who(FACILITATOR), start, SCENARIO)
    except AppError:
        return None  # a plan or catalog without the scenario's pieces
    incident = session.get_one(Incident, run.incident_id)

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    # Everything in the order it happened, so the timeline and the audit chain agree.
    steps: list[tuple[datetime, Callable[[datetime], object]]] = [
        (row.due_at, partial(service.deliver, session, plan, inject_id=row.id))
        for row in run.injects
    ]
    steps += [
        (at(m), partial(_note, session, who(email), incident, text)) for m, email, text in NOTES
    ]
    steps.append((at(4), partial(_take_command, session, plan, who(COMMANDER), incident)))
    steps.append((at(16), partial(_answer, session, who(OPERATIONS), incident, "operations_lead")))
    steps.append((at(40), partial(_answer, session, who(ADMIN), incident, "legal")))
    for minutes, target in ((45, "containment"), (70, "eradication"), (85, "recovery")):
        steps.append((at(minutes), partial(_move, session, plan, who(COMMANDER), incident, target)))
    for when, step in sorted(steps, key=lambda s: s[0]):
        step(when)
    end = at(95)
    for position, (met, note) in enumerate(VERDICTS):
        service.record_objective(session, who(FACILITATOR), end, run, position, met=met, note=note)
    service.finish_run(
        session,
        who(FACILITATOR),
        end,
        run,
        "Strong technical containment; executive communication started late. "
        "Action: add the executive update to the ransomware playbook's first 30 minutes.",
    )
    return run


def _note(
    session: Session, person: Principal, incident: Incident, text: str, now: datetime
) -> None:
    incidents.add_note(session, person, now, incident, text)


def _move(
    session: Session, plan: Plan, person: Principal, incident: Incident, target: str, now: datetime
) -> None:
    incidents.change_status(session, plan, person, now, incident, target)


def _take_command(
    session: Session, plan: Plan, commander: Principal, incident: Incident, now: datetime
) -> None:
    for role in ("incident_commander", "security_lead"):
        incidents.assign_role(session, plan, commander, now, incident, role, commander.email)


def _answer(
    session: Session, person: Principal, incident: Incident, role: str, now: datetime
) -> None:
    """Close the inject question asked of ``role``."""
    task = session.scalar(
        select(Task).where(Task.incident_id == incident.id, Task.role_key == role)
    )
    if task is not None:
        work.update_task(session, person, now, incident, task.id, status="done")
