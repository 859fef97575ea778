"""Use cases for routing rules: the ordered label matchers that choose an
alert's service, urgency and escalation policy, and whether it declares or
joins an incident. One transaction per use case; the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import routing_context
from fireline.alerts.matchers import MatcherError, parse_matchers
from fireline.alerts.models import RoutingRule
from fireline.alerts.service import check_within, find_integration
from fireline.catalog.service import find_service
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import InvalidInput, NotFound
from fireline.incidents.queries import resolve_severity, resolve_type
from fireline.plan.schema import Plan

URGENCIES = ("high", "low")
INCIDENT_ACTIONS = ("none", "declare", "attach")
# Past it a position is a typo, and past 2**31 PostgreSQL's integer column refuses it.
MAX_RULE_POSITION = 1_000_000_000


@dataclass
class RuleSpec:
    name: str
    matchers: str
    integration: int | None = None
    service: str | None = None
    urgency: str | None = None
    escalation_policy: str | None = None
    incident_action: str = "none"
    incident_severity: str | None = None
    incident_type: str | None = None
    position: int | None = None


def create_rule(
    session: Session, *, actor: Actor, now: datetime, spec: RuleSpec, plan: Plan
) -> RoutingRule:
    """``plan`` knows the severities and incident types a rule may declare."""
    values = _rule_values(session, spec, plan)
    position = spec.position
    if position is not None:
        limit = MAX_RULE_POSITION
        check_within(position, -limit, limit, f"expected -{limit:,} to {limit:,}", "position")
    else:
        last = session.scalar(select(RoutingRule.position).order_by(RoutingRule.position.desc()))
        position = (last or 0) + 10
    row = RoutingRule(position=position, created_at=now, updated_at=now, **values)
    session.add(row)
    session.flush()
    routing_context.forget()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.created",
        object_type="routing_rule",
        object_id=row.id,
        changes={"name": row.name, "matchers": row.matchers, "position": position},
        now=now,
    )
    return row


def _rule_values(session: Session, spec: RuleSpec, plan: Plan) -> dict[str, Any]:
    if not spec.name.strip():
        raise InvalidInput("a name is required", field="name")
    matchers = matchers_field(spec.matchers, field="matchers", allow_empty=True)
    if spec.urgency is not None and spec.urgency not in URGENCIES:
        raise InvalidInput("expected high or low", field="urgency")
    if spec.incident_action not in INCIDENT_ACTIONS:
        raise InvalidInput(
            f"expected one of {', '.join(INCIDENT_ACTIONS)}", field="incident_action"
        )
    if spec.incident_action == "declare" and not (spec.incident_severity and spec.incident_type):
        raise InvalidInput(
            "a rule that declares needs an incident severity and type", field="incident_severity"
        )
    service_id = find_service(session, spec.service).id if spec.service else None
    if spec.integration is not None:
        find_integration(session, spec.integration)
    return {
        "name": spec.name.strip()[:200],
        "matchers": matchers,
        "integration_id": spec.integration,
        "service_id": service_id,
        "urgency": spec.urgency,
        "escalation_policy": spec.escalation_policy or None,
        "incident_action": spec.incident_action,
        # Checked now: a rule naming what the plan lacks would fail only when
        # its alert fires, the moment its incident is needed.
        "incident_severity": _in_plan(
            resolve_severity, plan, spec.incident_severity, "incident_severity"
        ),
        "incident_type": _in_plan(resolve_type, plan, spec.incident_type, "incident_type"),
    }


def _in_plan(
    resolve: Callable[[Plan, str], str], plan: Plan, value: str | None, field: str
) -> str | None:
    """The plan's own key for a severity or type, with errors naming the rule's field."""
    if not value:
        return None
    try:
        return resolve(plan, value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def delete_rule(session: Session, *, actor: Actor, now: datetime, rule_id: int) -> None:
    row = session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound(f"no routing rule {rule_id}")
    session.delete(row)
    routing_context.forget()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.deleted",
        object_type="routing_rule",
        object_id=rule_id,
        changes={"name": row.name},
        now=now,
    )


def matchers_field(text: str, *, field: str, allow_empty: bool = False) -> list[dict[str, str]]:
    try:
        parsed = parse_matchers(text) if text.strip() else []
    except MatcherError as exc:
        raise InvalidInput(str(exc), field=field) from None
    if not parsed and not allow_empty:
        raise InvalidInput('give at least one matcher, e.g. alertname="DiskFull"', field=field)
    return [m.to_dict() for m in parsed]
