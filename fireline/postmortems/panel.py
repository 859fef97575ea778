"""What the incident page shows of the post-mortem (postmortems/_panel.html)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.postmortems import queries, service


def panel_context(
    session: Session, plan: Plan, incident: Incident, now: datetime
) -> dict[str, Any]:
    pm = service.get(session, incident)
    return {
        "postmortem": pm,
        "postmortem_required": plan.postmortem.requires(incident.severity),
        "postmortem_overdue": bool(
            pm and queries.is_overdue(pm, ZoneInfo(plan.organisation.time_zone), now)
        ),
    }
