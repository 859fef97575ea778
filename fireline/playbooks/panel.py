"""What the incident page shows of playbooks (playbooks/_panel.html)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.playbooks import library, service


def panel_context(session: Session, plan: Plan, incident: Incident) -> dict[str, Any]:
    running = service.runs(session, incident)
    taken = {run.playbook_key for run in running}
    return {
        "playbook_runs": [service.run_view(run) for run in running],
        "playbook_choices": [
            e.playbook for key, e in library.available(session, plan).items() if key not in taken
        ],
    }
