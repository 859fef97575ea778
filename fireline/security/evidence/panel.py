"""What the incident page shows of evidence (security/evidence/_panel.html)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan


def panel_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    return {}
