"""The jobs table as a queue: enqueue, claim, complete, fail, retry.

Every function works inside the caller's session; the worker decides where
transactions begin and end. Claims use ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so workers never wait for each other or take the same job; on
SQLite the single writer (``BEGIN IMMEDIATE``) gives the same guarantee.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.jobs import doorbell
from fireline.core.jobs.backoff import retry_delay
from fireline.core.jobs.models import Job, JobState

DEFAULT_MAX_ATTEMPTS = 8
# Stored in max_attempts when the enqueuer left the limit to the worker: the
# worker that first claims the job writes its FIRELINE_JOB_MAX_ATTEMPTS there.
WORKER_LIMIT = 0
MAX_ERROR_LENGTH = 2000
# session.info key: where a worker collects the jobs its handler queues that
# are due at once (see Worker._follow_up).
DUE_NOW = "fireline.jobs.due_now"


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    due_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job, or return the existing one with the same idempotency key.

    Runs inside the caller's transaction, so the job exists exactly when the
    change that caused it commits. ``max_attempts=None`` leaves the limit to
    the worker's ``FIRELINE_JOB_MAX_ATTEMPTS``.
    """
    values = new_job(
        kind=kind,
        payload=payload,
        now=now,
        due_at=due_at,
        idempotency_key=idempotency_key,
        max_attempts=max_attempts,
    )
    doorbell.job_queued(session)
    if idempotency_key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
        _note_due_now(session, job, now)
        return job
    # INSERT … ON CONFLICT DO NOTHING: two concurrent enqueuers of one key make one row.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Job)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Job)
    )
    created = session.scalars(statement).first()
    if created is not None:
        _note_due_now(session, created, now)
        return created
    return session.scalars(select(Job).where(Job.idempotency_key == idempotency_key)).one()


def new_job(
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    due_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int | None = None,
) -> dict[str, Any]:
    """A new job's columns, for :func:`enqueue` and for writers that insert
    jobs with their own statements (fireline.alerts.storage)."""
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    return {
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "state": JobState.queued.value,
        "due_at": due_at or now,
        "attempts": 0,
        "max_attempts": WORKER_LIMIT if max_attempts is None else max_attempts,
        "created_at": now,
        "updated_at": now,
    }


def _note_due_now(session: Session, job: Job, now: datetime) -> None:
    due_now = session.info.get(DUE_NOW)
    if due_now is not None and job.due_at <= now:
        due_now.append(job)


def _claimable(now: datetime) -> Any:
    due = and_(Job.state == JobState.queued.value, Job.due_at <= now)
    abandoned = and_(Job.state == JobState.running.value, Job.locked_until < now)
    return or_(due, abandoned)


def claim(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    default_max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[int]:
    """The ids of :func:`claim_jobs`."""
    jobs = claim_jobs(
        session,
        worker_id=worker_id,
        now=now,
        lease=lease,
        limit=limit,
        default_max_attempts=default_max_attempts,
    )
    return [job.id for job in jobs]


def claim_jobs(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    default_max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[Job]:
    """Take up to ``limit`` due jobs, oldest due first, and lease them to ``worker_id``.

    A running job whose lease ran out belonged to a worker that died (or hung);
    it is taken again, unless it has used up its attempts, in which case it is dead.
    Jobs enqueued without a limit get ``default_max_attempts`` here, once.
    """
    query = select(Job).where(_claimable(now)).order_by(Job.due_at, Job.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[Job] = []
    for job in session.scalars(query):
        if job.max_attempts == WORKER_LIMIT:
            job.max_attempts = default_max_attempts
        if job.state == JobState.running.value and job.attempts >= job.max_attempts:
            job.state = JobState.dead.value
            job.last_error = f"abandoned by {job.locked_by} after {job.attempts} attempts"
            job.locked_by, job.locked_until, job.finished_at, job.updated_at = None, None, now, now
            continue
        take(
            job,
            worker_id=worker_id,
            now=now,
            lease=lease,
            default_max_attempts=default_max_attempts,
        )
        claimed.append(job)
    session.flush()
    return claimed


def take(
    job: Job, *, worker_id: str, now: datetime, lease: timedelta, default_max_attempts: int
) -> None:
    """Lease one job to ``worker_id``: a claimed job, or one the worker's own
    handler has just queued in the transaction it holds."""
    if job.max_attempts == WORKER_LIMIT:
        job.max_attempts = default_max_attempts
    job.state = JobState.running.value
    job.locked_by = worker_id
    job.locked_until = now + lease
    job.attempts += 1
    job.updated_at = now


def next_due(session: Session) -> datetime | None:
    """When the earliest queued job comes due (it may be due already)."""
    return session.scalar(select(func.min(Job.due_at)).where(Job.state == JobState.queued.value))


def complete(session: Session, *, job_id: int, worker_id: str, now: datetime) -> bool:
    """Mark a job done if this worker still holds it. ``False`` means the lease was
    lost (another worker took the job over), and the caller must roll back."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.running.value, Job.locked_by == worker_id)
        .values(
            state=JobState.done.value,
            finished_at=now,
            updated_at=now,
            locked_by=None,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def fail(
    session: Session,
    *,
    job_id: int,
    worker_id: str,
    error: str,
    now: datetime,
    rng: random.Random | None = None,
) -> JobState | None:
    """Record a failed attempt: queue the next one after a backoff, or mark the job dead."""
    job = session.get(Job, job_id)
    if job is None or job.state != JobState.running.value or job.locked_by != worker_id:
        return None
    job.last_error = error[:MAX_ERROR_LENGTH]
    job.locked_by, job.locked_until, job.updated_at = None, None, now
    if job.attempts >= (job.max_attempts or DEFAULT_MAX_ATTEMPTS):
        job.state, job.finished_at = JobState.dead.value, now
    else:
        job.state = JobState.queued.value
        job.due_at = now + retry_delay(job.attempts, rng)
    session.flush()
    return JobState(job.state)


def release(session: Session, *, job_ids: list[int], worker_id: str, now: datetime) -> int:
    """Give back claimed jobs this worker will not start (it is stopping), so they
    need not wait for their lease to run out. The claim did not count as an attempt."""
    if not job_ids:
        return 0
    result = session.execute(
        update(Job)
        .where(
            Job.id.in_(job_ids),
            Job.state == JobState.running.value,
            Job.locked_by == worker_id,
        )
        .values(
            state=JobState.queued.value,
            attempts=Job.attempts - 1,
            locked_by=None,
            locked_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def retry(session: Session, *, job_id: int, now: datetime, actor: Actor | None = None) -> Job:
    """Put a dead (or waiting) job back in the queue, due now, with a fresh set of attempts.

    Attempts start again from zero because whoever retries has usually fixed
    the cause (a mail server, a webhook URL); ``last_error`` stays until the
    job next runs, as a record of why it had stopped. A person's retry is
    audited when ``actor`` is given; running and done jobs are refused.
    """
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    if job.state not in (JobState.dead.value, JobState.queued.value):
        raise Conflict(f"job {job_id} is {job.state}; only dead or queued jobs can be retried")
    before = {"state": job.state, "attempts": job.attempts}
    job.state, job.due_at, job.attempts = JobState.queued.value, now, 0
    job.finished_at, job.updated_at = None, now
    session.flush()
    if actor is not None:
        audit.record(
            session,
            actor=actor,
            action="job.retried",
            object_type="job",
            object_id=job.id,
            changes={"kind": job.kind, "from": before, "to": {"state": job.state, "attempts": 0}},
            now=now,
        )
    return job


def counts_by_state(session: Session) -> dict[str, int]:
    counts = {state.value: 0 for state in JobState}
    for state, count in session.execute(select(Job.state, func.count()).group_by(Job.state)):
        counts[state] = count
    return counts


@dataclass(frozen=True)
class JobFilter:
    state: str | None = None
    kind: str | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in {s.value for s in JobState}:
            allowed = ", ".join(s.value for s in JobState)
            raise InvalidInput(
                f"unknown state {self.state!r}; expected one of {allowed}", field="state"
            )
        if not 1 <= self.limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000", field="limit")


def list_jobs(session: Session, filter: JobFilter) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(filter.limit)
    if filter.state:
        query = query.where(Job.state == filter.state)
    if filter.kind:
        query = query.where(Job.kind == filter.kind)
    return list(session.scalars(query))
