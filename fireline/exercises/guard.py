"""Whether fireline may tell real people about an incident.

Every place that notifies about incidents (on-call pages, SLA e-mails,
stakeholder updates, chat rooms, Slack channels) asks ``may_notify`` first:
an exercise incident stays quiet unless its run chose ``notify``. The public
status page never shows an exercise, whatever the run chose
(``may_publish``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from fireline.incidents.models import Incident

EXERCISE_PREFIX = "[EXERCISE] "
# session.info key: what the run being started chose, while it declares its
# incident (the run is linked to the incident only once it exists).
_DECLARING = "fireline.exercises.declaring_notify"


def may_notify(incident: Incident) -> bool:
    if not incident.is_exercise:
        return True
    session = object_session(incident)
    if session is None:
        return False
    from fireline.exercises.models import ExerciseRun  # models import incidents

    notify = session.scalar(
        select(ExerciseRun.notify).where(ExerciseRun.incident_id == incident.id)
    )
    if notify is None:
        return bool(session.info.get(_DECLARING, False))
    return notify


def may_publish(incident: Incident) -> bool:
    return not incident.is_exercise


def label(incident: Incident) -> str:
    """The prefix a message about the incident carries: ``[EXERCISE] `` or nothing.
    (Exercise titles start with it already; this is for text without the title.)"""
    return EXERCISE_PREFIX if incident.is_exercise else ""


@contextmanager
def declaring(session: Session, *, notify: bool) -> Iterator[None]:
    """While a run declares its incident, ``may_notify`` answers with the run's choice."""
    session.info[_DECLARING] = notify
    try:
        yield
    finally:
        session.info.pop(_DECLARING, None)
