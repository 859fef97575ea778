"""STIX 2.1 in and out of an incident: the database side of ``stix`` and ``stix_import``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.security.observables import service
from fireline.security.observables.stix import (
    DEFAULT_CEILING,
    IncidentFacts,
    ObservableFacts,
    build_bundle,
)
from fireline.security.observables.stix_import import read_bundle


def export_bundle(
    session: Session, incident: Incident, now: datetime, *, ceiling: str = DEFAULT_CEILING
) -> dict[str, Any]:
    facts = IncidentFacts(
        ref=incident.ref,
        title=incident.title,
        summary=incident.summary,
        declared_at=incident.declared_at,
        updated_at=incident.updated_at,
        techniques=tuple(t.technique for t in service.techniques_of(session, incident)),
    )
    observables = [
        ObservableFacts(
            type=o.type,
            value=o.value,
            hash_algorithm=o.hash_algorithm,
            tlp=o.tlp,
            description=o.description,
            techniques=tuple(o.techniques),
            first_seen=o.first_seen,
            last_seen=o.last_seen,
            added_at=o.added_at,
            updated_at=o.updated_at,
        )
        for o in service.observables_of(session, incident)
    ]
    return build_bundle(facts, observables, ceiling=ceiling, now=now)


def import_bundle(
    session: Session, principal: Principal, now: datetime, incident: Incident, data: Any
) -> service.ImportReport:
    """Everything the bundle holds that can be imported, or nothing when it is malformed."""
    return service.import_contents(session, principal, now, incident, read_bundle(data))
