"""Public pages to subscribe to the status page's updates, confirm, and leave.

No login: a subscriber proves who they are with the link mailed to them.
Each client address may ask for FIRELINE_STATUS_SUBSCRIBE_PER_HOUR
subscriptions an hour (per server process), so that a script cannot fill the
subscriber list or the mail queue.
Confirming and leaving take a POST (a button on the page the link opens),
so that mail scanners that open every link change nothing; a mail client's
one-click unsubscribe (RFC 8058) POSTs to the same address.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.comms.status import components, subscriptions
from fireline.comms.status.models import Component, ComponentGroup
from fireline.core.config import Settings
from fireline.core.deps import get_now, get_session, get_settings_dep
from fireline.core.errors import InvalidInput
from fireline.core.signing import signing_key
from fireline.web.templating import render

router = APIRouter(prefix="/status", include_in_schema=False)
MAX_FIELD = 2000
HOUR = 3600.0


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
    page = components.page_settings(session, now)
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
    request: Request,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    form = await request.form()
    how = str(form.get("kind") or "email")
    chosen = [str(c)[:64] for c in form.getlist("component")]
    values = {"kind": how, "email": str(form.get("email") or "")[:MAX_FIELD]}
    values["url"] = str(form.get("url") or "")[:MAX_FIELD]

    def refused(message: str, status: int, field: str | None = None) -> Response:
        """The form again, with what was typed and why it was refused."""
        return _page(
            request,
            session,
            now,
            "subscribe.html",
            groups=_components(session),
            form={**values, "components": chosen},
            error=message,
            error_field=field,
            status_code=status,
        )

    client = request.client.host if request.client else "unknown"
    limit = settings.status_subscribe_per_hour
    wait = request.app.state.subscribe_rates.take(client, limit, HOUR)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        later = f"{minutes} minute" + ("s" if minutes > 1 else "")
        page = refused(f"Too many subscriptions from your address; try again in {later}.", 429)
        page.headers["Retry-After"] = str(math.ceil(wait))
        return page
    try:
        if how == "webhook":
            subscriptions.subscribe_webhook(session, now, url=values["url"], components=chosen)
        elif how == "email":
            subscriptions.subscribe_email(session, now, address=values["email"], components=chosen)
        else:
            raise InvalidInput("expected email or webhook", field="kind")
    except InvalidInput as exc:
        session.rollback()
        return refused(exc.message, 422, exc.field)
    session.commit()
    return _page(request, session, now, "subscribed.html", kind=how, form=values)


class _Link:
    """A request that follows a link mailed to a subscriber."""

    def __init__(
        self,
        request: Request,
        token: str,
        session: Session = Depends(get_session),
        now: datetime = Depends(get_now),
        settings: Settings = Depends(get_settings_dep),
    ) -> None:
        self.request, self.token, self.session, self.now = request, token, session, now
        self.key = signing_key(session, settings)

    def page(self, template: str, **context: Any) -> Response:
        return _page(self.request, self.session, self.now, template, **context)

    def invalid(self, exc: subscriptions.InvalidLink) -> Response:
        return self.page("link_invalid.html", message=str(exc), status_code=404)


@router.get("/subscribe/confirm/{token}")
def confirm_form(link: _Link = Depends()) -> Response:
    try:
        subscriber = subscriptions.subscriber_for(
            link.session, link.key, link.token, subscriptions.CONFIRM
        )
    except subscriptions.InvalidLink as exc:
        return link.invalid(exc)
    return link.page("confirm.html", subscriber=subscriber, token=link.token)


@router.post("/subscribe/confirm/{token}")
def confirm(link: _Link = Depends()) -> Response:
    try:
        subscriber = subscriptions.confirm(link.session, link.key, link.token, link.now)
    except subscriptions.InvalidLink as exc:
        return link.invalid(exc)
    link.session.commit()
    return link.page("confirmed.html", subscriber=subscriber)


@router.get("/unsubscribe/{token}")
def unsubscribe_form(link: _Link = Depends()) -> Response:
    try:
        subscriber = subscriptions.subscriber_for(
            link.session, link.key, link.token, subscriptions.UNSUBSCRIBE
        )
    except subscriptions.InvalidLink as exc:
        return link.invalid(exc)
    return link.page("unsubscribe.html", subscriber=subscriber, token=link.token)


@router.post("/unsubscribe/{token}")
def unsubscribe(link: _Link = Depends()) -> Response:
    """Also what a mail client's one-click unsubscribe (RFC 8058) POSTs to."""
    try:
        target = subscriptions.unsubscribe(link.session, link.key, link.token)
    except subscriptions.InvalidLink as exc:
        return link.invalid(exc)
    link.session.commit()
    return link.page("unsubscribed.html", target=target)
