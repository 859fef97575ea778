"""JSON API for the jobs table: what is queued, what failed, and retrying it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_admin,
    require_manager,
    require_viewer,
)
from fireline.core.ids import RowId
from fireline.core.jobs import queue
from fireline.core.jobs.models import Job

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


class JobOut(BaseModel):
    """A job without its payload: payloads can carry addresses and message bodies."""

    id: int
    kind: str
    state: str
    attempts: int
    max_attempts: int | None = Field(
        description="null until a worker first claims the job and applies its "
        "FIRELINE_JOB_MAX_ATTEMPTS"
    )
    due_at: datetime
    last_error: str | None
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        out = cls.model_validate(job, from_attributes=True)
        if job.max_attempts == queue.WORKER_LIMIT:
            out.max_attempts = None
        return out


@router.get("", response_model=list[JobOut])
def list_jobs(
    state: str | None = Query(default=None, description="queued, running, done or dead"),
    kind: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
) -> list[JobOut]:
    jobs = queue.list_jobs(session, queue.JobFilter(state=state, kind=kind, limit=limit))
    return [JobOut.of(job) for job in jobs]


@router.get("/counts", response_model=dict[str, int], summary="Jobs by state")
def job_counts(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> dict[str, int]:
    return queue.counts_by_state(session)


@router.post("/{job_id}/retry", response_model=JobOut)
def retry_job(
    job_id: RowId,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> JobOut:
    """Queue a dead (or waiting) job again, due now, with its attempts reset; audited."""
    job = queue.retry(session, job_id=job_id, now=now, actor=principal.actor)
    session.commit()
    return JobOut.of(job)
