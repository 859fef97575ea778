"""Running playbooks on incidents. Each use case runs in the caller's
transaction and leaves its record on the timeline.

A run keeps the playbook as it was when it started. Its steps are reached
in order as the steps they wait for settle; a reached step becomes a task
(owned by the step's role), and first an approval request when the step
needs one, or an HTTP action for the jobs worker when it has one. Closing
the task settles the step. Everything that moves a run arrives as a
timeline event (a task closed, an approval decided), so a run moves the
same way whether people act in the web UI, the API, the CLI or chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import deps
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.jobs.queue import enqueue
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.models import Incident, Task, TimelineEvent
from fireline.plan.schema import Plan
from fireline.playbooks import library, progress
from fireline.playbooks.models import PlaybookRun, RunStep
from fireline.playbooks.schema import Playbook, Step
from fireline.security import service as security

ACTION_JOB = "playbook.action"
ACTION_ATTEMPTS = 3
MAX_REASON = 5000


def snapshot(run: PlaybookRun) -> Playbook:
    return Playbook.model_validate_json(run.snapshot)


def runs(session: Session, incident: Incident) -> Sequence[PlaybookRun]:
    return session.scalars(
        select(PlaybookRun).where(PlaybookRun.incident_id == incident.id).order_by(PlaybookRun.id)
    ).all()


def get_run(session: Session, incident: Incident, run_id: int) -> PlaybookRun:
    run = session.get(PlaybookRun, run_id)
    if run is None or run.incident_id != incident.id:
        raise NotFound(f"no playbook run {run_id} on {incident.ref}")
    return run


def start(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    playbook: Playbook,
    *,
    by_hand: bool,
) -> PlaybookRun:
    if not incident.is_open:
        raise Conflict(f"{incident.ref} is closed; reopen it to run a playbook")
    taken = session.scalar(
        select(PlaybookRun.id).where(
            PlaybookRun.incident_id == incident.id, PlaybookRun.playbook_key == playbook.key
        )
    )
    if taken is not None:
        raise Conflict(f"{playbook.name} runs on {incident.ref} already")
    run = PlaybookRun(
        incident_id=incident.id,
        playbook_key=playbook.key,
        playbook_name=playbook.name,
        snapshot=playbook.model_dump_json(),
        started_by_id=principal.user_id if principal else None,
        by_hand=by_hand,
        started_at=now,
        steps=[
            RunStep(step_key=step.key, position=index, status=progress.PENDING, note="")
            for index, step in enumerate(playbook.steps)
        ],
    )
    session.add(run)
    session.flush()
    incidents.record_event(
        session,
        incident,
        kind="playbook_started",
        principal=principal,
        now=now,
        body=playbook.name,
        data={"playbook": playbook.key, "run_id": run.id, "by_hand": by_hand},
    )
    advance(session, principal, now, incident, run)
    return run


def start_by_hand(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    key: str,
) -> PlaybookRun:
    entry = library.get(session, plan, key)
    return start(session, principal, now, incident, entry.playbook, by_hand=True)


def start_for_new_incident(
    session: Session, plan: Plan, principal: Principal | None, now: datetime, incident: Incident
) -> None:
    """Every playbook for the incident's type and severity, when it is declared."""
    for entry in library.available(session, plan).values():
        if progress.applies(entry.playbook, incident.type_key, incident.severity):
            start(session, principal, now, incident, entry.playbook, by_hand=False)


def start_for_new_type(
    session: Session, plan: Plan, principal: Principal | None, now: datetime, incident: Incident
) -> None:
    """The playbooks for the type an incident was given, but for those it ran
    already (under its earlier type, or by hand)."""
    ran = set(
        session.scalars(
            select(PlaybookRun.playbook_key).where(PlaybookRun.incident_id == incident.id)
        )
    )
    for entry in library.available(session, plan).values():
        playbook = entry.playbook
        if playbook.key not in ran and progress.applies(
            playbook, incident.type_key, incident.severity
        ):
            start(session, principal, now, incident, playbook, by_hand=False)


def advance(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    run: PlaybookRun,
) -> None:
    """Reach every step whose wait is over, and finish the run when all settled."""
    playbook = snapshot(run)
    rows = {row.step_key: row for row in run.steps}
    statuses = {key: row.status for key, row in rows.items()}
    for reached in progress.reach(playbook, statuses, incident.type_key, incident.severity):
        row, step = rows[reached.step.key], reached.step
        row.status, row.reached_at = reached.status, now
        if reached.status == progress.NOT_APPLICABLE:
            row.finished_at = now
            row.note = f"does not apply to {incident.severity} {incident.type_key}"
            continue
        row.task_id = _task_for(session, principal, now, incident, playbook, step).id
        if reached.status == progress.AWAITING_APPROVAL:
            assert step.approval is not None
            request = security.open_approval(
                session,
                principal,
                now,
                incident,
                phase=step.phase,
                title=step.title,
                roles=step.approval.roles,
                description=f"Step {step.key!r} of the playbook {playbook.name}.\n\n{step.instructions}",
            )
            row.approval_id = request.id
        elif reached.status == progress.RUNNING:
            _queue_action(session, now, row)
    statuses = {key: row.status for key, row in rows.items()}
    if run.finished_at is None and progress.finished(playbook, statuses):
        run.finished_at = now
        summary = progress.summarise(statuses)
        incidents.record_event(
            session,
            incident,
            kind="playbook_finished",
            principal=principal,
            now=now,
            body=playbook.name,
            data={
                "playbook": playbook.key,
                "run_id": run.id,
                "done": summary.done,
                "skipped": summary.skipped,
            },
        )


def _task_for(
    session: Session,
    principal: Principal | None,
    now: datetime,
    incident: Incident,
    playbook: Playbook,
    step: Step,
) -> Task:
    holders = [
        r.user_id for r in incident.roles if r.role_key == step.owner_role and r.ended_at is None
    ]
    # One holder: the task is theirs; several or none: the role's, for whoever takes it.
    assignee = str(holders[0]) if len(holders) == 1 else None
    return work.add_task(
        session,
        principal,
        now,
        incident,
        title=step.title,
        assignee=assignee,
        role=step.owner_role,
    )


def _queue_action(session: Session, now: datetime, row: RunStep) -> None:
    enqueue(
        session,
        kind=ACTION_JOB,
        payload={"run_step_id": row.id},
        now=now,
        idempotency_key=f"{ACTION_JOB}:{row.id}:{now.isoformat()}",
        max_attempts=ACTION_ATTEMPTS,
    )


def skip(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    run_id: int,
    step_key: str,
    reason: str,
) -> RunStep:
    """Skip a step with a reason; what waits for it goes on."""
    run = get_run(session, incident, run_id)
    row = next((r for r in run.steps if r.step_key == step_key), None)
    if row is None:
        raise NotFound(f"no step {step_key!r} in {run.playbook_name}")
    why = reason.strip()
    if not why or len(why) > MAX_REASON:
        raise InvalidInput(f"say why, in 1 to {MAX_REASON:,} characters", field="reason")
    if row.status in progress.SETTLED:
        raise Conflict(f"step {step_key!r} is {row.status.replace('_', ' ')} already")
    _settle(row, progress.SKIPPED, now, why)
    incidents.record_event(
        session,
        incident,
        kind="playbook_step_skipped",
        principal=principal,
        now=now,
        body=why,
        data={"playbook": run.playbook_key, "run_id": run.id, "step": step_key},
    )
    _cancel_task(session, principal, now, incident, row)
    advance(session, principal, now, incident, run)
    return row


def _settle(row: RunStep, status: str, now: datetime, note: str = "") -> None:
    row.status, row.finished_at = status, now
    if note:
        row.note = note


# --- what moves a run: its tasks and its approvals ---------------------------------


def _on_event(session: Session, incident: Incident, event: TimelineEvent) -> None:
    if event.kind == "task_updated" and "status" in event.data:
        _task_changed(session, incident, event)
    elif event.kind in ("approval_decided", "approval_withdrawn"):
        _approval_changed(session, incident, event)


def _actor(event: TimelineEvent) -> Principal | None:
    return deps.principal_of(event.actor, "playbook") if event.actor is not None else None


def _task_changed(session: Session, incident: Incident, event: TimelineEvent) -> None:
    row = session.scalar(select(RunStep).where(RunStep.task_id == event.data["task_id"]))
    if row is None or row.status in progress.SETTLED:
        return
    new_status = event.data["status"][1]
    if new_status == "done":
        if row.status == progress.AWAITING_APPROVAL:
            raise Conflict("this playbook step waits for its approval; it cannot be done before")
        _settle(row, progress.DONE, event.recorded_at)
    elif new_status == "cancelled":
        _settle(row, progress.SKIPPED, event.recorded_at, "its task was cancelled")
    else:
        return
    advance(session, _actor(event), event.recorded_at, incident, row.run)


def _approval_changed(session: Session, incident: Incident, event: TimelineEvent) -> None:
    row = session.scalar(select(RunStep).where(RunStep.approval_id == event.data["approval_id"]))
    if row is None or row.status != progress.AWAITING_APPROVAL:
        return
    status = "withdrawn" if event.kind == "approval_withdrawn" else event.data.get("status")
    now, actor = event.recorded_at, _actor(event)
    if status == "approved":
        step = snapshot(row.run).step(row.step_key)
        if step.action is not None:
            row.status = progress.RUNNING
            _queue_action(session, now, row)
        else:
            row.status = progress.OPEN
        return
    if status not in ("rejected", "withdrawn"):
        return
    _settle(row, progress.SKIPPED, now, f"its approval was {status}")
    _cancel_task(session, actor, now, incident, row)
    advance(session, actor, now, incident, row.run)


def _cancel_task(
    session: Session, principal: Principal | None, now: datetime, incident: Incident, row: RunStep
) -> None:
    task = session.get(Task, row.task_id) if row.task_id is not None else None
    if task is not None and task.status not in ("done", "cancelled"):
        work.update_task(session, principal, now, incident, task.id, status="cancelled")


incidents.on_event(_on_event)
incidents.on_declared(start_for_new_incident)
incidents.on_retyped(start_for_new_type)


# --- figures ------------------------------------------------------------------------


def step_statuses(run: PlaybookRun) -> dict[str, str]:
    return {row.step_key: row.status for row in run.steps}


def run_view(run: PlaybookRun) -> dict[str, Any]:
    """A run as the incident page and the API show it."""
    playbook = snapshot(run)
    summary = progress.summarise(step_statuses(run))
    return {
        "id": run.id,
        "playbook": run.playbook_key,
        "name": run.playbook_name,
        "by_hand": run.by_hand,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "percent": summary.percent,
        "done": summary.done,
        "skipped": summary.skipped,
        "total": summary.total,
        "steps": [_step_view(playbook.step(row.step_key), row) for row in run.steps],
    }


def _step_view(step: Step, row: RunStep) -> dict[str, Any]:
    return {
        "key": row.step_key,
        "title": step.title,
        "phase": step.phase,
        "owner_role": step.owner_role,
        "instructions": step.instructions,
        "after": list(step.after),
        "automated": step.action is not None,
        "status": row.status,
        "task_id": row.task_id,
        "approval_id": row.approval_id,
        "reached_at": row.reached_at,
        "finished_at": row.finished_at,
        "note": row.note,
    }
