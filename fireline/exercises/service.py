"""Use cases for exercise runs: start one (an exercise incident and a timer
per inject), deliver an inject when its timer fires, judge objectives, end
the run. Each runs in the caller's transaction; every change is on the
incident's timeline or in the audit chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import service as alert_service
from fireline.alerts.models import AlertGroup
from fireline.catalog.service import find_service
from fireline.core import audit
from fireline.core.deps import Principal, principal_of
from fireline.core.errors import AppError, Conflict, InvalidInput, NotFound
from fireline.core.jobs import queue
from fireline.exercises import guard, injects, library
from fireline.exercises.models import ExerciseInject, ExerciseObjective, ExerciseRun
from fireline.exercises.report import Event, Facts, InjectIn, ObjectiveIn
from fireline.exercises.schema import Scenario
from fireline.incidents import queries
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident, Participant, TimelineEvent
from fireline.people.models import User
from fireline.plan.schema import Plan

INJECT_JOB = "exercise.inject"
MAX_NOTE = 5000


def start_run(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    scenario_key: str,
    *,
    notify: bool = False,
) -> ExerciseRun:
    """Open the scenario's exercise incident and queue its injects. Nobody
    is in command when it opens, as in a real detection: the response clock
    runs until someone acknowledges or takes over."""
    scenario = library.get(session, plan, scenario_key).scenario
    _check_services(session, scenario)
    run = ExerciseRun(
        scenario_key=scenario.key,
        scenario_name=scenario.name,
        kind=scenario.kind,
        snapshot=scenario.model_dump(mode="json", by_alias=True),
        notify=notify,
        facilitator_id=principal.user_id,
        started_at=now,
    )
    session.add(run)
    session.flush()
    spec = scenario.incident
    with guard.declaring(session, notify=notify):
        incident, _ = incidents.declare(
            session,
            plan,
            None,
            now,
            incidents.Declaration(
                title=(guard.EXERCISE_PREFIX + spec.title)[: incidents.MAX_TITLE],
                type=spec.type,
                severity=spec.severity,
                summary=spec.summary,
                services=list(spec.services),
                restricted=spec.restricted,
                page_on_call=notify,
                exercise=True,
            ),
        )
        run.incident_id = incident.id
        # The facilitator sees the incident even when the scenario restricts it.
        incident.participants.append(
            Participant(user_id=principal.user_id, kind="participant", added_at=now)
        )
        session.flush()
    incidents.record_event(
        session,
        incident,
        kind="exercise_started",
        principal=principal,
        now=now,
        body=f"Exercise {scenario.name!r} ({scenario.kind.replace('_', '-')}) started"
        + ("; real notifications are on" if notify else "; real notifications are off"),
        data={"run_id": run.id, "scenario": scenario.key, "notify": notify},
        pinned=True,
    )
    for position, text in enumerate(scenario.objectives):
        run.objectives.append(ExerciseObjective(position=position, text=text))
    for position, inject in enumerate(scenario.injects):
        row = ExerciseInject(
            position=position,
            key=inject.key,
            kind=inject.kind,
            summary=inject.summary,
            due_at=now + inject.offset,
            outcome={},
        )
        run.injects.append(row)
    session.flush()
    for row in run.injects:
        queue.enqueue(
            session,
            kind=INJECT_JOB,
            payload={"inject_id": row.id},
            now=now,
            due_at=row.due_at,
            idempotency_key=f"{INJECT_JOB}:{row.id}",
        )
    return run


def _check_services(session: Session, scenario: Scenario) -> None:
    """Every service the scenario names must exist before anything starts."""
    wanted = list(scenario.incident.services)
    wanted += [i.alert.service for i in scenario.injects if i.alert is not None]
    for ref in dict.fromkeys(wanted):
        try:
            find_service(session, ref)
        except AppError:
            raise InvalidInput(
                f"the scenario names the service {ref!r}, which is not in the catalog; "
                "add it or change the scenario",
                field="scenario",
            ) from None
    queries.resolve_services(session, list(scenario.incident.services))


def deliver(session: Session, plan: Plan, now: datetime, inject_id: int) -> None:
    """Deliver an inject whose timer fired; a delivered one, or one of an
    ended run, is left alone (timers fire at least once)."""
    row = session.get(ExerciseInject, inject_id)
    if row is None or row.delivered_at is not None or row.outcome.get("skipped"):
        return
    run = row.run
    incident = session.get(Incident, run.incident_id) if run.incident_id else None
    if incident is None:
        return
    if run.finished_at is not None:
        row.outcome = {"skipped": "the exercise had ended"}
        return
    facilitator = principal_of(session.get_one(User, run.facilitator_id), "exercise")
    inject = Scenario.model_validate(run.snapshot).injects[row.position]
    try:
        with session.begin_nested():
            outcome = injects.deliver(session, plan, facilitator, now, incident, run.id, inject)
    except AppError as exc:
        row.outcome = {"skipped": exc.message}
        incidents.record_event(
            session,
            incident,
            kind="exercise_inject",
            principal=None,
            now=now,
            body=f"Exercise inject {row.key!r} could not be delivered: {exc.message}",
            data={"run_id": run.id, "inject": row.key, "skipped": True},
        )
        return
    # The events the inject itself made: the team's responses are the others.
    outcome["event_ids"] = list(
        session.scalars(
            select(TimelineEvent.id).where(
                TimelineEvent.incident_id == incident.id, TimelineEvent.recorded_at == now
            )
        )
    )
    row.outcome = outcome
    row.delivered_at = now


def runs(session: Session, principal: Principal) -> list[ExerciseRun]:
    """Every run whose incident the caller may see, newest first."""
    return list(
        session.scalars(
            select(ExerciseRun)
            .join(Incident, Incident.id == ExerciseRun.incident_id)
            .where(queries.visible_to(principal))
            .order_by(ExerciseRun.started_at.desc(), ExerciseRun.id.desc())
        )
    )


def get_run(session: Session, principal: Principal, run_id: int) -> ExerciseRun:
    run = session.scalar(
        select(ExerciseRun)
        .join(Incident, Incident.id == ExerciseRun.incident_id)
        .where(ExerciseRun.id == run_id, queries.visible_to(principal))
    )
    if run is None:
        raise NotFound(f"no exercise run {run_id}", field="run")
    return run


def record_objective(
    session: Session,
    principal: Principal,
    now: datetime,
    run: ExerciseRun,
    position: int,
    *,
    met: bool | None,
    note: str = "",
) -> ExerciseObjective:
    """The facilitator's judgement of one objective (``met=None`` clears it)."""
    objective = next((o for o in run.objectives if o.position == position), None)
    if objective is None:
        raise NotFound(f"run {run.id} has no objective {position}", field="objective")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"a note of at most {MAX_NOTE} characters", field="note")
    objective.met, objective.note = met, note.strip()
    objective.recorded_by_id, objective.recorded_at = principal.user_id, now
    audit.record(
        session,
        actor=principal.actor,
        action="exercise.objective_recorded",
        object_type="exercise_run",
        object_id=run.id,
        changes={"objective": objective.text, "met": met, "note": objective.note},
        now=now,
    )
    return objective


def finish_run(
    session: Session, principal: Principal, now: datetime, run: ExerciseRun, notes: str = ""
) -> ExerciseRun:
    """End the exercise: injects not yet delivered stay undelivered."""
    if run.finished_at is not None:
        raise Conflict(f"exercise run {run.id} has already ended", field="run")
    if len(notes) > MAX_NOTE:
        raise InvalidInput(f"notes of at most {MAX_NOTE} characters", field="notes")
    run.finished_at, run.notes = now, notes.strip()
    incident = session.get_one(Incident, run.incident_id)
    # The exercise's alerts must not linger in the alert list after it.
    for group in session.scalars(
        select(AlertGroup).where(AlertGroup.incident_id == incident.id, AlertGroup.is_open)
    ):
        alert_service.resolve(session, principal, now, group, note="the exercise ended")
    left = [i.key for i in run.injects if i.delivered_at is None]
    incidents.record_event(
        session,
        incident,
        kind="exercise_finished",
        principal=principal,
        now=now,
        body=f"Exercise ended{'; not delivered: ' + ', '.join(left) if left else ''}",
        data={"run_id": run.id, "undelivered": left},
        pinned=True,
    )
    return run


def run_of(session: Session, incident: Incident) -> ExerciseRun | None:
    return session.scalar(select(ExerciseRun).where(ExerciseRun.incident_id == incident.id))


def describe(run: ExerciseRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "scenario": run.scenario_key,
        "name": run.scenario_name,
        "kind": run.kind,
        "notify": run.notify,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def report_facts(session: Session, run: ExerciseRun) -> Facts:
    """What the after-action report is built from, read from the database."""
    incident = session.get_one(Incident, run.incident_id)
    events = session.execute(
        select(TimelineEvent, User.name)
        .outerjoin(User, User.id == TimelineEvent.actor_id)
        .where(TimelineEvent.incident_id == incident.id)
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    ).all()
    return Facts(
        title=incident.title,
        scenario=run.scenario_name,
        kind=run.kind,
        severity=incident.severity,
        declared_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        finished_at=run.finished_at,
        injects=[
            InjectIn(
                key=i.key,
                kind=i.kind,
                summary=i.summary,
                due_at=i.due_at,
                delivered_at=i.delivered_at,
                event_ids=frozenset(i.outcome.get("event_ids", [])),
                skipped=str(i.outcome.get("skipped", "")),
            )
            for i in run.injects
        ],
        objectives=[ObjectiveIn(o.text, o.met, o.note) for o in run.objectives],
        events=[
            Event(e.id, e.recorded_at, e.kind, e.body, name if e.actor_id else None)
            for e, name in events
        ],
    )
