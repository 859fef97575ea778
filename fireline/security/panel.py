"""What the incident page shows of classification, approvals and confidential notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security import approvals, classification, service
from fireline.security.access import held_roles
from fireline.security.obligations.clocks import PRESETS


def panel_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    requests = service.list_approvals(session, incident)
    held = held_roles(incident, principal.user_id)
    return {
        "decisions_classification": service.current_classification(session, incident),
        "decisions_choices": {
            "functional": classification.FUNCTIONAL,
            "information": classification.INFORMATION[1:],
            "recoverability": classification.RECOVERABILITY,
            "data": classification.DATA,
        },
        "decisions_obligation_names": {key: o.name for key, o in PRESETS.items()},
        "decisions_approvals": requests,
        "decisions_phases": approvals.PHASES,
        # For each pending request, the roles this viewer may decide for.
        "decisions_my_roles": {
            r.id: [
                role
                for role in r.required_roles
                if role in held and not any(d.role_key == role for d in r.decisions)
            ]
            for r in requests
            if r.status == approvals.PENDING
        },
        "decisions_notes": service.confidential_notes(session, principal, incident),
    }
