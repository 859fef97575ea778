"""Use cases for the service catalogue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.people.service import check_slug, find_team

TIERS = (1, 2, 3, 4)


def create_service(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    slug: str,
    name: str,
    description: str = "",
    owner_team: str | None = None,
    tier: int = 2,
    runbook_url: str = "",
) -> Service:
    check_slug(slug)
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    if tier not in TIERS:
        raise InvalidInput("tier must be 1 (most critical) to 4", field="tier")
    if runbook_url and not runbook_url.startswith(("http://", "https://")):
        raise InvalidInput("expected an http(s) URL", field="runbook_url")
    if session.scalar(select(Service.id).where(Service.slug == slug)) is not None:
        raise Conflict(f"a service called {slug} already exists", field="slug")
    team = find_team(session, owner_team) if owner_team else None
    row = Service(
        slug=slug,
        name=name.strip(),
        description=description,
        owner_team_id=team.id if team else None,
        tier=tier,
        runbook_url=runbook_url,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="service.created",
        object_type="service",
        object_id=row.id,
        changes={"slug": slug, "name": row.name, "owner_team": owner_team, "tier": tier},
        now=now,
    )
    return row


def find_service(session: Session, ref: str) -> Service:
    row_id = as_row_id(ref)
    row = (
        session.get(Service, row_id)
        if row_id is not None
        else session.scalar(select(Service).where(Service.slug == ref))
    )
    if row is None:
        raise NotFound(f"no service {ref}")
    return row
