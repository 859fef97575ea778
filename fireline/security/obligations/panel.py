"""What the incident page shows of obligations (security/obligations/_panel.html):
each attached obligation's next deadline and its state, and what the
classification suggests that is not attached yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.obligations import summary


def panel_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    attached = summary.summaries(session, plan, incident, now)
    keys = {item.row.key for item in attached}
    return {
        "obligations_attached": attached,
        "obligations_suggested": summary.suggestions(session, plan, incident, keys),
    }
