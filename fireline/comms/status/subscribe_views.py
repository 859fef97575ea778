"""Public pages to subscribe to the status page's updates, confirm, and leave.

No login: a subscriber proves who they are with the link mailed to them.
Confirming and leaving take a POST (a button on the page the link opens),
so that mail scanners that open every link change nothing; a mail client's
one-click unsubscribe (RFC 8058) POSTs to the same address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.comms.status import service, subscriptions
from fireline.comms.status.models import Component, ComponentGroup
from fireline.core.config import Settings
from fireline.core.deps import get_now, get_session, get_settings_dep
from fireline.core.errors import InvalidInput
from fireline.core.signing import signing_key
from fireline.web.templating import render

router = APIRouter(prefix="/status", include_in_schema=False)
MAX_FIELD = 2000


def _components(session: Session) -> list[tuple[str, list[Component]]]:
    """Components by group name ("" first for ungrouped), for the checkboxes."""
    groups = {g.id: g.name for g in session.scalars(select(ComponentGroup))}
    grouped: dict[str, list[Component]] = {}
    for component in session.scalars(select(Component).order_by(Component.position)):
        grouped.setdefault(groups.get(component.group_id or 0, ""), []).append(component)
    return sorted(grouped.items(), key=lambda item: item[0])


def _page(
    request: Request, session: Session, now: datetime, template: str, **context: Any
) -> Response:
    status = context.pop("status_code", 200)
    page = service.page_settings(session, now)
    values = {
        "page": page,
        "time_zone": page.time_zone,
        "theme_version": int(page.updated_at.timestamp()),
        **context,
    }
    return render(request, f"status/{template}", values, status_code=status)


@router.get("/subscribe")
def subscribe_form(
    request: Request, session: Session = Depends(get_session), now: datetime = Depends(get_now)
) -> Response:
    return _page(request, session, now, "subscribe.html", groups=_components(session), form={})


@router.post("/subscribe")
async def subscribe(
    request: Request, session: Session = Depends(get_session), now: datetime = Depends(get_now)
) -> Response:
    form = await request.form()
    how = str(form.get("kind") or "email")
    chosen = [str(c)[:64] for c in form.getlist("component")]
    values = {"kind": how, "email": str(form.get("email") or "")[:MAX_FIELD]}
    values["url"] = str(form.get("url") or "")[:MAX_FIELD]
    try:
        if how == "webhook":
            subscriptions.subscribe_webhook(session, now, url=values["url"], components=chosen)
        elif how == "email":
            subscriptions.subscribe_email(session, now, address=values["email"], components=chosen)
        else:
            raise InvalidInput("expected email or webhook", field="kind")
    except InvalidInput as exc:
        session.rollback()
        return _page(
            request,
            session,
            now,
            "subscribe.html",
            groups=_components(session),
            form={**values, "components": chosen},
            error=exc.message,
            error_field=exc.field,
            status_code=422,
        )
    session.commit()
    return _page(request, session, now, "subscribed.html", kind=how, form=values)


def _key(session: Session, settings: Settings) -> bytes:
    return signing_key(session, settings)


@router.get("/subscribe/confirm/{token}")
def confirm_form(
    request: Request,
    token: str,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    try:
        subscriber = subscriptions.subscriber_for(
            session, _key(session, settings), token, subscriptions.CONFIRM
        )
    except subscriptions.InvalidLink as exc:
        return _page(request, session, now, "link_invalid.html", message=str(exc), status_code=404)
    return _page(request, session, now, "confirm.html", subscriber=subscriber, token=token)


@router.post("/subscribe/confirm/{token}")
def confirm(
    request: Request,
    token: str,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    try:
        subscriber = subscriptions.confirm(session, _key(session, settings), token, now)
    except subscriptions.InvalidLink as exc:
        return _page(request, session, now, "link_invalid.html", message=str(exc), status_code=404)
    session.commit()
    return _page(request, session, now, "confirmed.html", subscriber=subscriber)


@router.get("/unsubscribe/{token}")
def unsubscribe_form(
    request: Request,
    token: str,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    try:
        subscriber = subscriptions.subscriber_for(
            session, _key(session, settings), token, subscriptions.UNSUBSCRIBE
        )
    except subscriptions.InvalidLink as exc:
        return _page(request, session, now, "link_invalid.html", message=str(exc), status_code=404)
    return _page(request, session, now, "unsubscribe.html", subscriber=subscriber, token=token)


@router.post("/unsubscribe/{token}")
def unsubscribe(
    request: Request,
    token: str,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    try:
        target = subscriptions.unsubscribe(session, _key(session, settings), token)
    except subscriptions.InvalidLink as exc:
        return _page(request, session, now, "link_invalid.html", message=str(exc), status_code=404)
    session.commit()
    return _page(request, session, now, "unsubscribed.html", target=target)
