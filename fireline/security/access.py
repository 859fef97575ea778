"""Who may handle the sensitive parts of a security incident.

Evidence, confidential notes and the like are for the incident's people
who hold a role the plan marks ``security: true`` (security lead, legal,
privacy, HR liaison), and for admins. Everyone else who may see the
incident sees that these things exist, never what they hold.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Forbidden
from fireline.incidents import queries
from fireline.incidents.models import Incident
from fireline.people.models import Role
from fireline.plan.schema import Plan


def held_roles(incident: Incident, user_id: int) -> set[str]:
    """The plan roles ``user_id`` holds on the incident right now."""
    return {r.role_key for r in incident.roles if r.user_id == user_id and r.ended_at is None}


def security_roles(plan: Plan) -> set[str]:
    return {role.key for role in plan.roles if role.security}


def may_handle_security(plan: Plan, principal: Principal, incident: Incident) -> bool:
    if principal.can(Role.admin):
        return True
    return bool(held_roles(incident, principal.user_id) & security_roles(plan))


def get_for_security(session: Session, plan: Plan, principal: Principal, ref: str) -> Incident:
    """The incident when the caller may handle its security material: 404
    when they may not see it at all, 403 when they may see it but not this."""
    incident = queries.get_visible(session, principal, ref)
    if not may_handle_security(plan, principal, incident):
        names = ", ".join(sorted(plan.role(k).name for k in security_roles(plan))) or "none"
        raise Forbidden(
            f"only admins and people holding a security role on {incident.ref} ({names}) may see this"
        )
    return incident
