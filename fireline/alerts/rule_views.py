"""Routing rule pages: the ordered list, adding a rule and deleting one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from starlette.responses import Response

from fireline.alerts import rules
from fireline.alerts import view_kit as kit
from fireline.alerts.models import Integration, RoutingRule
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, NotFound
from fireline.core.ids import RowId
from fireline.incidents.api import get_plan
from fireline.plan.schema import Plan
from fireline.web.pages import page_manager, page_viewer

# Included by fireline.alerts.views, under /alerts.
router = APIRouter(include_in_schema=False)


# --- routing rules --------------------------------------------------------------------


def _rules_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    plan: Plan,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rules = session.scalars(
        select(RoutingRule)
        .options(joinedload(RoutingRule.service))
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    integrations = session.scalars(
        select(Integration)
        .options(joinedload(Integration.service))
        .where(Integration.revoked_at.is_(None))
        .order_by(Integration.id)
    ).all()
    context = {
        "title": "Routing rules",
        "rules": [(rule, kit.matchers_text(rule.matchers)) for rule in rules],
        "services": kit.all_services(session),
        "integrations": integrations,
        "plan": plan,
        "form": {"incident_action": "none"},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/rules.html", context, status=status)


@router.get("/rules")
def rule_list(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return _rules_page(request, principal, session, now, plan)


RULE_FIELDS = (
    "name",
    "matchers",
    "integration",
    "service",
    "urgency",
    "escalation_policy",
    "incident_action",
    "incident_severity",
    "incident_type",
    "position",
)


@router.post("/rules")
def create_rule(
    request: Request,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    values = {key: form.get(key, "") for key in RULE_FIELDS}
    try:
        spec = rules.RuleSpec(
            name=kit.field_text(form, "name", 200),
            matchers=kit.field_text(form, "matchers", 4000),
            integration=kit.field_number(form, "integration"),
            service=values["service"] or None,
            urgency=values["urgency"] or None,
            escalation_policy=kit.field_text(form, "escalation_policy", 200) or None,
            incident_action=values["incident_action"] or "none",
            incident_severity=values["incident_severity"] or None,
            incident_type=values["incident_type"] or None,
            position=kit.field_number(form, "position"),
        )
        rules.create_rule(session, actor=principal.actor, now=now, spec=spec, plan=plan)
    except AppError as exc:
        session.rollback()
        default = "integration" if "integration" in exc.message else "service"
        return _rules_page(
            request,
            principal,
            session,
            now,
            plan,
            status=exc.status,
            form=values,
            **kit.failed(exc, "rule", default),
        )
    session.commit()
    return kit.see("/alerts/rules")


@router.post("/rules/{rule_id}/delete")
def delete_rule(
    rule_id: RowId,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        rules.delete_rule(session, actor=principal.actor, now=now, rule_id=rule_id)
    except NotFound as exc:
        raise kit.not_found(principal, exc) from None
    session.commit()
    return kit.see("/alerts/rules")
