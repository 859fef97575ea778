"""Wake this process's workers when a transaction that queued a job commits.

Without it a job queued by the API of ``fireline serve`` waits for the
worker's next poll (up to ``FIRELINE_WORKER_POLL_SECONDS``) before anyone
looks at it: most of the time between an alert and its page at low rates.
Workers in other processes still find it by polling.

:func:`queue.enqueue <fireline.core.jobs.queue.enqueue>` marks the session;
the commit rings the bell only once the job is visible to other
connections, so a woken worker always finds it.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

_QUEUED_A_JOB = "fireline.jobs.queued"
_bell = threading.Event()


def job_queued(session: Session) -> None:
    session.info[_QUEUED_A_JOB] = True


def ring() -> None:
    """Wake every worker of this process waiting in :func:`wait` (also used to
    make a stopping worker notice at once)."""
    _bell.set()


def wait(seconds: float) -> None:
    """Sleep up to ``seconds``, less if the bell rings. A ring that came while
    the caller was busy ends the next wait at once, so none is lost."""
    _bell.wait(seconds)
    _bell.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED_A_JOB, False):
        _bell.set()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED_A_JOB, None)
