"""JSON API for what decides where an alert goes and whether it pages:
routing rules, silences and maintenance windows. Included by ``api``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fireline.alerts import rules, silences
from fireline.alerts.matchers import Matcher
from fireline.alerts.models import MaintenanceWindow, RoutingRule, Silence
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_manager,
    require_responder,
    require_viewer,
)
from fireline.core.ids import MAX_ID, RowId
from fireline.core.strict import Strict
from fireline.incidents.api import get_plan
from fireline.plan.schema import Plan

# Included by fireline.alerts.api, under /api/v1.
router = APIRouter(tags=["alerts"])

# What the service checks too, stated here so that the API's description says it.
RulePosition = Annotated[int | None, Field(ge=-rules.MAX_RULE_POSITION, le=rules.MAX_RULE_POSITION)]


# --- routing rules -----------------------------------------------------------------


class RuleOut(BaseModel):
    id: int
    position: int
    name: str
    integration_id: int | None
    matchers: list[str]
    service: str | None
    urgency: str | None
    escalation_policy: str | None
    incident_action: str
    incident_severity: str | None
    incident_type: str | None

    @classmethod
    def of(cls, row: RoutingRule) -> RuleOut:
        return cls(
            id=row.id,
            position=row.position,
            name=row.name,
            integration_id=row.integration_id,
            matchers=[str(Matcher.from_dict(m)) for m in row.matchers],
            service=row.service.slug if row.service else None,
            urgency=row.urgency,
            escalation_policy=row.escalation_policy,
            incident_action=row.incident_action,
            incident_severity=row.incident_severity,
            incident_type=row.incident_type,
        )


class RuleIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    matchers: str = Field(
        default="", max_length=4000, description='e.g. severity="critical", team=~"db|infra"'
    )
    integration: int | None = Field(default=None, ge=1, le=MAX_ID)
    service: str | None = None
    urgency: Literal["high", "low"] | None = None
    escalation_policy: str | None = Field(default=None, max_length=200)
    incident_action: Literal["none", "declare", "attach"] = "none"
    incident_severity: str | None = None
    incident_type: str | None = None
    position: RulePosition = None


@router.get("/routing-rules", response_model=list[RuleOut])
def list_rules(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[RuleOut]:
    rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    return [RuleOut.of(r) for r in rows]


@router.post("/routing-rules", response_model=RuleOut, status_code=201)
def create_rule(
    body: RuleIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> RuleOut:
    row = rules.create_rule(
        session,
        actor=principal.actor,
        now=now,
        spec=rules.RuleSpec(**body.model_dump()),
        plan=plan,
    )
    session.commit()
    return RuleOut.of(row)


@router.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(
    rule_id: RowId,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    rules.delete_rule(session, actor=principal.actor, now=now, rule_id=rule_id)
    session.commit()


# --- silences and maintenance ---------------------------------------------------------


class SilenceOut(BaseModel):
    id: int
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str | None
    state: str

    @classmethod
    def of(cls, row: Silence, now: datetime) -> SilenceOut:
        return cls(
            id=row.id,
            matchers=[str(Matcher.from_dict(m)) for m in row.matchers],
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            comment=row.comment,
            created_by=row.created_by.email if row.created_by else None,
            state=silences.silence_state(row, now),
        )


class SilenceIn(Strict):
    matchers: str = Field(min_length=1, max_length=4000)
    ends_at: datetime
    starts_at: datetime | None = None
    comment: str = Field(min_length=1, max_length=2000)


@router.get("/silences", response_model=list[SilenceOut])
def list_silences(
    include_expired: bool = False,
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> list[SilenceOut]:
    query = select(Silence).options(joinedload(Silence.created_by)).order_by(Silence.id.desc())
    if not include_expired:
        query = query.where(Silence.expired_at.is_(None), Silence.ends_at > now)
    return [SilenceOut.of(s, now) for s in session.scalars(query.limit(500))]


@router.post("/silences", response_model=SilenceOut, status_code=201)
def add_silence(
    body: SilenceIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> SilenceOut:
    row = silences.add_silence(session, principal=principal, now=now, **body.model_dump())
    session.commit()
    return SilenceOut.of(row, now)


@router.post("/silences/{silence_id}/expire", response_model=SilenceOut)
def expire_silence(
    silence_id: RowId,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> SilenceOut:
    row = silences.expire_silence(session, principal=principal, now=now, silence_id=silence_id)
    session.commit()
    return SilenceOut.of(row, now)


class WindowOut(BaseModel):
    id: int
    service: str
    title: str
    starts_at: datetime
    ends_at: datetime
    repeat: str
    repeat_until: datetime | None

    @classmethod
    def of(cls, row: MaintenanceWindow) -> WindowOut:
        return cls(
            id=row.id,
            service=row.service.slug,
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            repeat=row.repeat,
            repeat_until=row.repeat_until,
        )


class WindowIn(Strict):
    service: str
    title: str = Field(min_length=1, max_length=300)
    starts_at: datetime
    ends_at: datetime
    repeat: Literal["none", "daily", "weekly"] = "none"
    repeat_until: datetime | None = None


@router.get("/maintenance-windows", response_model=list[WindowOut])
def list_windows(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[WindowOut]:
    rows = session.scalars(
        select(MaintenanceWindow)
        .options(joinedload(MaintenanceWindow.service))
        .order_by(MaintenanceWindow.starts_at.desc())
        .limit(500)
    )
    return [WindowOut.of(w) for w in rows]


@router.post("/maintenance-windows", response_model=WindowOut, status_code=201)
def add_window(
    body: WindowIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> WindowOut:
    row = silences.add_maintenance(session, principal=principal, now=now, **body.model_dump())
    session.commit()
    return WindowOut.of(row)


@router.delete("/maintenance-windows/{window_id}", status_code=204)
def delete_window(
    window_id: RowId,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    silences.delete_maintenance(session, principal=principal, now=now, window_id=window_id)
    session.commit()
