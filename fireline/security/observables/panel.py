"""What the incident page shows of observables (security/observables/_panel.html):
how many and how marked, the ones also seen in other incidents, the ATT&CK tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.observables import attack, service
from fireline.security.observables.normalise import TLP
from fireline.security.observables.sightings import Seen, sightings


def panel_context(
    session: Session, plan: Plan, principal: Principal, incident: Incident, now: datetime
) -> dict[str, Any]:
    observables = service.observables_of(session, incident)
    seen = sightings(session, principal, incident) if observables else {}
    linked: dict[int, Seen] = {}
    for found in seen.values():
        linked.update({s.incident_id: s for s in found})
    return {
        "observables_count": len(observables),
        "observables_by_tlp": [
            (level, count)
            for level in TLP
            if (count := sum(1 for o in observables if o.tlp == level))
        ],
        "observables_shared": [(o, seen[o.id]) for o in observables if o.id in seen],
        "observables_linked": [linked[k] for k in sorted(linked)],
        "observables_techniques": [
            attack.name_of(t.technique) for t in service.techniques_of(session, incident)
        ],
    }
