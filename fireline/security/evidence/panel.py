"""What the incident page shows of evidence (security/evidence/_panel.html):
how many items there are, and either a link to them or who may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.access import may_handle_security
from fireline.security.evidence import queries


def panel_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    return {
        "evidence_count": queries.count_of(session, incident),
        "evidence_may_see": may_handle_security(plan, principal, incident),
        "evidence_who": queries.who_may_see(plan, incident),
    }
