"""JSON API for the status page's subscribers: anyone may subscribe (an
e-mail address still has to confirm by the link mailed to it); managers
list and remove subscribers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.comms.channels.common import masked_url
from fireline.comms.status import subscriptions
from fireline.comms.status.models import Subscriber
from fireline.core import audit
from fireline.core.deps import Principal, get_now, get_session, require_manager
from fireline.core.ids import RowId
from fireline.core.strict import Strict

router = APIRouter(prefix="/api/v1/status/subscribers", tags=["status page"])


class SubscribeIn(Strict):
    email: str | None = Field(default=None, max_length=320)
    webhook_url: str | None = Field(default=None, max_length=2000)
    components: list[str] = Field(default_factory=list, max_length=subscriptions.MAX_COMPONENTS)

    @model_validator(mode="after")
    def one_way(self) -> SubscribeIn:
        if (self.email is None) == (self.webhook_url is None):
            raise ValueError("give either email or webhook_url")
        return self


class SubscribeOut(BaseModel):
    # "pending": an e-mail that must confirm (also said of one subscribed
    # already, so that nobody learns who is); "subscribed": a webhook.
    status: Literal["pending", "subscribed"]


class SubscriberOut(BaseModel):
    id: int
    kind: str
    target: str  # a webhook URL shows its host only: its path may be its secret
    components: list[str]
    confirmed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, subscriber: Subscriber) -> SubscriberOut:
        target = subscriber.target
        if subscriber.kind == "webhook":
            target = masked_url(target)
        return cls(
            id=subscriber.id,
            kind=subscriber.kind,
            target=target,
            components=subscriber.component_codes,
            confirmed_at=subscriber.confirmed_at,
            created_at=subscriber.created_at,
        )


@router.post("", status_code=202, response_model=SubscribeOut)
def subscribe(
    body: SubscribeIn,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> SubscribeOut:
    if body.webhook_url is not None:
        subscriptions.subscribe_webhook(
            session, now, url=body.webhook_url, components=body.components
        )
        result = SubscribeOut(status="subscribed")
    else:
        subscriptions.subscribe_email(
            session, now, address=body.email or "", components=body.components
        )
        result = SubscribeOut(status="pending")
    session.commit()
    return result


@router.get("", response_model=list[SubscriberOut])
def list_subscribers(
    _: Principal = Depends(require_manager), session: Session = Depends(get_session)
) -> list[SubscriberOut]:
    rows = session.scalars(select(Subscriber).order_by(Subscriber.id))
    return [SubscriberOut.of(s) for s in rows]


@router.delete("/{subscriber_id}", status_code=204)
def remove_subscriber(
    subscriber_id: RowId,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    subscriptions.remove(session, subscriber_id)
    audit.record(
        session,
        actor=principal.actor,
        action="status.subscriber_removed",
        object_type="status_subscribers",
        object_id=subscriber_id,
        changes={},
        now=now,
    )
    session.commit()
    return Response(status_code=204)
