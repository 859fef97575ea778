"""Sightings: the same observable in other incidents. The incidents stay
separate; each shows where else its observables were seen, naming only
incidents the viewer may see (a restricted incident stays hidden from
anyone outside it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from fireline.core.deps import Principal
from fireline.incidents import queries
from fireline.incidents.models import REF_PREFIX, Incident
from fireline.security.observables.models import IncidentObservable


@dataclass(frozen=True)
class Seen:
    incident_id: int
    ref: str
    title: str
    is_open: bool


def sightings(session: Session, principal: Principal, incident: Incident) -> dict[int, list[Seen]]:
    """For each of the incident's observables seen elsewhere: the other
    incidents the principal may see, oldest first. One query, on the match key index."""
    mine = aliased(IncidentObservable)
    other = aliased(IncidentObservable)
    query = (
        select(mine.id, Incident.id, Incident.title, Incident.is_open)
        .join(other, other.match_key == mine.match_key)
        .join(Incident, Incident.id == other.incident_id)
        .where(
            mine.incident_id == incident.id,
            other.incident_id != incident.id,
            queries.visible_to(principal),
        )
        .order_by(mine.id, Incident.id)
    )
    found: dict[int, list[Seen]] = defaultdict(list)
    for observable_id, incident_id, title, is_open in session.execute(query):
        found[observable_id].append(Seen(incident_id, f"{REF_PREFIX}{incident_id}", title, is_open))
    return dict(found)
