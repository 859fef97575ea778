"""Saving and removing the playbooks kept in the database (the web editor,
the API, ``fireline playbook import``). Each change is in the audit chain."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, NotFound
from fireline.plan.loader import PlanError
from fireline.plan.schema import Plan
from fireline.playbooks import library
from fireline.playbooks.models import StoredPlaybook
from fireline.playbooks.schema import Playbook

MAX_SOURCE = 200_000


class PlaybookInvalid(InvalidInput):
    """Problems with line and column, for the editor to show beside the text."""

    def __init__(self, error: PlanError) -> None:
        self.problems = error.problems
        first = error.problems[0]
        more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
        super().__init__(
            f"line {first.line}, column {first.column}: "
            f"{first.path + ': ' if first.path else ''}{first.message}{more}",
            field="source",
        )


def check(plan: Plan, source: str) -> Playbook:
    if len(source) > MAX_SOURCE:
        raise InvalidInput(f"a playbook of at most {MAX_SOURCE:,} characters", field="source")
    try:
        return library.load_playbook_text(source, plan)
    except PlanError as exc:
        raise PlaybookInvalid(exc) from None


def save(
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    source: str,
    *,
    key: str | None = None,
) -> Playbook:
    """Store ``source`` (YAML). ``key``: the playbook being edited, whose key
    the text may not change (a new key is a new playbook)."""
    playbook = check(plan, source)
    if key is not None and playbook.key != key:
        raise InvalidInput(
            f"this is the playbook {key!r}; to make {playbook.key!r}, create a new one",
            field="source",
        )
    stored = session.scalar(select(StoredPlaybook).where(StoredPlaybook.key == playbook.key))
    created = stored is None
    if stored is None:
        stored = StoredPlaybook(key=playbook.key, created_at=now, source="", updated_at=now)
        session.add(stored)
    stored.source, stored.updated_at, stored.updated_by_id = source, now, principal.user_id
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="playbook.created" if created else "playbook.updated",
        object_type="playbook",
        object_id=stored.id,
        changes={"key": playbook.key, "sha256": hashlib.sha256(source.encode()).hexdigest()},
        now=now,
    )
    return playbook


def remove(session: Session, principal: Principal, now: datetime, key: str) -> None:
    stored = session.scalar(select(StoredPlaybook).where(StoredPlaybook.key == key))
    if stored is None:
        raise NotFound(
            f"no playbook {key!r} is kept in the database (built-in and plan playbooks "
            "change with the plan file)"
        )
    audit.record(
        session,
        actor=principal.actor,
        action="playbook.removed",
        object_type="playbook",
        object_id=stored.id,
        changes={"key": key},
        now=now,
    )
    session.delete(stored)


def stored_source(session: Session, key: str) -> str | None:
    return session.scalar(select(StoredPlaybook.source).where(StoredPlaybook.key == key))
