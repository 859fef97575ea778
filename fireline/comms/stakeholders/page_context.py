"""What an incident's page shows of its stakeholder updates (kept apart from
the views so that the incident page can use it without importing them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.comms.stakeholders import service
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan


def stakeholder_context(
    session: Session, plan: Plan, incident: Incident, now: datetime
) -> dict[str, Any]:
    try:
        audiences = [
            plan.audience(key).name for key in plan.severity(incident.severity).stakeholders
        ]
    except KeyError:
        audiences = []
    updates = service.updates(session, incident)
    return {
        "stakeholder_cadence": service.cadence_of(session, plan, incident, now),
        "stakeholder_latest": updates[0] if updates else None,
        "stakeholder_audiences": [] if incident.restricted else audiences,
    }
