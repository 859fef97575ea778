"""The security part of an incident's page: each area's panel context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.evidence.panel import panel_context as evidence_panel
from fireline.security.obligations.panel import panel_context as obligations_panel
from fireline.security.observables.panel import panel_context as observables_panel
from fireline.security.panel import panel_context as decisions_panel

PANELS = (decisions_panel, evidence_panel, observables_panel, obligations_panel)


def security_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    """Observables show on every incident (an outage can have a bad IP too);
    the rest on security incidents."""
    context: dict[str, Any] = {
        "is_security": plan.incident_type(incident.type_key).category == "security"
    }
    for panel in PANELS:
        context.update(panel(session, plan, principal, incident, now))
    return context
