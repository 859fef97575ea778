"""JSON API for one's own contact methods and notification rules, and the
reachability check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms import channels
from fireline.core.deps import Principal, get_now, get_session, require_viewer
from fireline.core.errors import NotFound
from fireline.core.ids import MAX_ID, RowId
from fireline.core.strict import Strict
from fireline.oncall import contacts
from fireline.oncall.models import ContactMethod, NotificationRule
from fireline.people.models import User

router = APIRouter(prefix="/api/v1", tags=["on-call"])


class MethodIn(Strict):
    kind: str = Field(max_length=32)
    target: dict[str, Any]
    label: str = Field(default="", max_length=200)


class MethodOut(BaseModel):
    id: int
    kind: str
    label: str
    target: dict[str, Any]  # redacted
    verified: bool
    working: bool
    last_ok_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: ContactMethod) -> MethodOut:
        return cls(
            id=row.id,
            kind=row.kind,
            label=row.label,
            target=channels.get(row.kind).redact(row.target),
            verified=row.verified_at is not None,
            working=contacts.working(row),
            last_ok_at=row.last_ok_at,
            last_error=row.last_error,
        )


class RuleIn(Strict):
    urgency: str = Field(pattern="^(high|low)$")
    contact_method_id: int = Field(ge=1, le=MAX_ID)
    delay_minutes: int = Field(default=0, ge=0, le=1440)


class RuleOut(BaseModel):
    id: int
    urgency: str
    contact_method_id: int = Field(ge=1, le=MAX_ID)
    delay_minutes: int


class WarningOut(BaseModel):
    user_id: int
    user: str
    where: str
    message: str


def _me(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("your account is gone")
    return user


@router.get("/me/contact-methods", response_model=list[MethodOut])
def my_methods(
    principal: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[MethodOut]:
    rows = session.scalars(
        select(ContactMethod)
        .where(ContactMethod.user_id == principal.user_id)
        .order_by(ContactMethod.id)
    )
    return [MethodOut.of(row) for row in rows]


@router.post("/me/contact-methods", response_model=MethodOut, status_code=201)
def add_method(
    body: MethodIn,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> MethodOut:
    """Add a way to reach you; a verification link is sent through it."""
    method = contacts.add_method(
        session, actor=principal.actor, now=now, user=_me(session, principal), **body.model_dump()
    )
    session.commit()
    return MethodOut.of(method)


@router.post("/me/contact-methods/{method_id}/test", status_code=202)
def test_method(
    method_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> dict[str, str]:
    method = contacts.find_method(session, _me(session, principal), method_id)
    contacts.send_test(session, now=now, method=method)
    session.commit()
    return {"status": "queued"}


@router.delete("/me/contact-methods/{method_id}", status_code=204)
def remove_method(
    method_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    method = contacts.find_method(session, _me(session, principal), method_id)
    contacts.remove_method(session, actor=principal.actor, now=now, method=method)
    session.commit()


@router.get("/me/notification-rules", response_model=list[RuleOut])
def my_rules(
    principal: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[RuleOut]:
    rows = session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == principal.user_id)
        .order_by(NotificationRule.urgency, NotificationRule.delay_minutes, NotificationRule.id)
    )
    return [
        RuleOut(
            id=r.id,
            urgency=r.urgency,
            contact_method_id=r.contact_method_id,
            delay_minutes=r.delay_minutes,
        )
        for r in rows
    ]


@router.post("/me/notification-rules", response_model=RuleOut, status_code=201)
def add_rule(
    body: RuleIn,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> RuleOut:
    rule = contacts.add_rule(
        session, actor=principal.actor, now=now, user=_me(session, principal), **body.model_dump()
    )
    session.commit()
    return RuleOut(
        id=rule.id,
        urgency=rule.urgency,
        contact_method_id=rule.contact_method_id,
        delay_minutes=rule.delay_minutes,
    )


@router.delete("/me/notification-rules/{rule_id}", status_code=204)
def remove_rule(
    rule_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    contacts.remove_rule(
        session, actor=principal.actor, now=now, user=_me(session, principal), rule_id=rule_id
    )
    session.commit()


@router.get("/oncall/check", response_model=list[WarningOut])
def check(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[WarningOut]:
    """Everyone on a schedule or policy who cannot be reached."""
    return [WarningOut(**vars(w)) for w in contacts.reachability_warnings(session)]
