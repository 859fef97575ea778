"""What the incident page shows of an exercise (exercises/_panel.html): which
run it belongs to and whether it may reach real people."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fireline.exercises import service
from fireline.incidents.models import Incident


def panel_context(session: Session, incident: Incident) -> dict[str, Any]:
    if not incident.is_exercise:
        return {"exercise_run": None}
    return {"exercise_run": service.run_of(session, incident)}
