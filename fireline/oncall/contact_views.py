"""The signed-in person's own on-call page: how to reach them (contact
methods, each tested and verified), in what order (notification rules per
urgency), and a warning when a page could not wake them.

The add form shows the inputs the chosen channel's ``validate_target``
reads; changing the kind reloads them (in place with htmx, or through the
form's "Show fields" button without JavaScript).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.comms import channels
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import RowId, as_row_id
from fireline.oncall import contacts
from fireline.oncall.models import ContactMethod, Notification, NotificationRule
from fireline.oncall.view_kit import (
    failed,
    not_found,
    page,
    posted,
    see,
    text,
    values_of,
    whole_number,
)
from fireline.people.models import User
from fireline.web.pages import page_viewer

router = APIRouter(prefix="/me", include_in_schema=False)

RECENT_MESSAGES = 10
JSON_TARGET = "target.json"


@dataclass(frozen=True)
class TargetInput:
    """One input of the add form: ``name`` is the target field it fills."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    hint: str = ""


# What each built-in channel's validate_target reads. A channel registered
# from elsewhere gets one JSON box for its whole target.
TARGET_INPUTS: dict[str, tuple[TargetInput, ...]] = {
    "email": (TargetInput("address", "E-mail address", "email", True),),
    "webhook": (
        TargetInput("url", "URL", "url", True, "fireline POSTs JSON to it"),
        TargetInput("secret", "Signing secret", "password", False, "optional, 16+ characters"),
    ),
    "slack": (
        TargetInput("webhook_url", "Incoming webhook URL", "url", False, "or a bot token below"),
        TargetInput("token", "Bot token", "password", False, "instead of a webhook: xoxb-…"),
        TargetInput("channel", "Channel", "text", False, "with a bot token: C0123ABCD or #name"),
    ),
    "ntfy": (
        TargetInput("topic", "Topic", "text", True, "letters, digits, - and _"),
        TargetInput("server", "Server", "url", False, "default https://ntfy.sh"),
        TargetInput("token", "Access token", "password", False, "optional"),
    ),
    "apprise": (TargetInput("url", "Apprise URL", "text", True, "e.g. tgram://token/chat_id"),),
    "log": (TargetInput("name", "Name", "text", False, "written to the server log only"),),
}


def inputs_for(kind: str) -> tuple[TargetInput, ...]:
    return TARGET_INPUTS.get(kind, (TargetInput("json", "Target (JSON)", "json", True),))


def target_of(kind: str, form: FormData) -> dict[str, Any]:
    if kind not in channels.kinds():
        return {}  # the use case refuses the kind itself
    if kind not in TARGET_INPUTS:
        raw = text(form, JSON_TARGET, 4000) or "{}"
        try:
            target = json.loads(raw)
        except ValueError:
            raise InvalidInput("expected a JSON object", field=JSON_TARGET) from None
        if not isinstance(target, dict):
            raise InvalidInput("expected a JSON object", field=JSON_TARGET)
        return target
    # Blank optional inputs are left out, as an API client would leave them out.
    values = {i.name: text(form, f"target.{i.name}", 2000) for i in TARGET_INPUTS[kind]}
    return {name: value for name, value in values.items() if value}


def shown_target(kind: str, target: dict[str, Any]) -> str:
    """A target without its secrets, as "field: value" pairs."""
    try:
        redacted = channels.get(kind).redact(target)
    except channels.UnknownChannel:
        return "(this kind of channel is no longer installed)"
    return ", ".join(f"{k}: {v}" for k, v in redacted.items()) or "–"


def channel_choices() -> list[tuple[str, str]]:
    """Every installed channel kind with its label, for a kind picker."""
    return [(kind, channels.get(kind).label) for kind in channels.kinds()]


def chosen_kind(kind: str, preferred: str) -> str:
    """``kind`` when it is installed, else ``preferred``, else the first one."""
    kinds = channels.kinds()
    if kind in kinds:
        return kind
    return preferred if preferred in kinds else (kinds[0] if kinds else "")


def _me(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise not_found(principal, NotFound("your account is gone"))
    return user


def _my_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    kind: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    user = _me(session, principal)
    methods = list(
        session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user.id).order_by(ContactMethod.id)
        )
    )
    by_id = {m.id: m for m in methods}
    rules = session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == user.id)
        .order_by(NotificationRule.delay_minutes, NotificationRule.id)
    ).all()
    messages = session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.page_id.is_(None))
        .order_by(Notification.id.desc())
        .limit(RECENT_MESSAGES)
    ).all()
    kind = chosen_kind(kind, "email")
    context = {
        "title": "My contact methods",
        "user": user,
        "warning": contacts.person_warning(session, user),
        "methods": [(m, shown_target(m.kind, m.target), contacts.working(m)) for m in methods],
        "methods_by_id": by_id,
        "rules": {u: [r for r in rules if r.urgency == u] for u in contacts.URGENCIES},
        "urgencies": contacts.URGENCIES,
        "messages": messages,
        "kinds": channel_choices(),
        "kind": kind,
        "inputs": inputs_for(kind),
        "method_fields": ["kind", "label", *(f"target.{i.name}" for i in inputs_for(kind))],
        "method_form": {},
        "rule_form": {"urgency": "high", "delay_minutes": "0"},
        **extra,
    }
    return page(request, principal, now, "oncall/me.html", context, status=status)


@router.get("")
def my_settings(
    request: Request,
    kind: str = Query(default="", max_length=32),
    tested: str = Query(default="", max_length=20),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """``tested``: the method a test message was just queued for, to say so."""
    return _my_page(request, principal, session, now, kind=kind, tested=as_row_id(tested))


@router.post("/contact-methods")
def add_method(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    kind = text(form, "kind", 32, check=False)[:32]
    try:
        contacts.add_method(
            session,
            actor=principal.actor,
            now=now,
            user=_me(session, principal),
            kind=kind,
            target=target_of(kind, form),
            label=text(form, "label", 200),
        )
    except AppError as exc:
        session.rollback()
        error = failed(exc, "method", "kind")
        if kind not in TARGET_INPUTS and str(error["error_field"]).startswith("target."):
            error["error_field"] = JSON_TARGET
        # Shown again as sent, except secrets: they are not echoed into the page.
        shown = values_of(
            form, tuple(f"target.{i.name}" for i in inputs_for(kind) if i.type != "password")
        )
        return _my_page(
            request,
            principal,
            session,
            now,
            kind=kind,
            status=exc.status,
            method_form={**values_of(form, ("label",)), **shown},
            **error,
        )
    session.commit()
    return see("/oncall/me")


def _my_method(session: Session, principal: Principal, method_id: int) -> ContactMethod:
    try:
        return contacts.find_method(session, _me(session, principal), method_id)
    except NotFound as exc:
        raise not_found(principal, exc) from None


@router.post("/contact-methods/{method_id}/test")
def test_method(
    method_id: RowId,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    method = _my_method(session, principal, method_id)
    contacts.send_test(session, now=now, method=method)
    session.commit()
    return see(f"/oncall/me?tested={method.id}")


@router.post("/contact-methods/{method_id}/remove")
def remove_method(
    method_id: RowId,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    method = _my_method(session, principal, method_id)
    contacts.remove_method(session, actor=principal.actor, now=now, method=method)
    session.commit()
    return see("/oncall/me")


@router.post("/notification-rules")
def add_rule(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        method_id = whole_number(form, "contact_method", 1)
        if method_id is None:
            raise InvalidInput("choose a contact method", field="contact_method")
        try:
            contacts.add_rule(
                session,
                actor=principal.actor,
                now=now,
                user=_me(session, principal),
                urgency=text(form, "urgency", 8),
                contact_method_id=method_id,
                delay_minutes=whole_number(form, "delay_minutes", default=0) or 0,
            )
        except NotFound as exc:
            raise InvalidInput(exc.message, field="contact_method") from None
    except AppError as exc:
        session.rollback()
        return _my_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            rule_form=values_of(form, ("urgency", "contact_method", "delay_minutes")),
            **failed(exc, "rule", "contact_method", {"contact_method_id": "contact_method"}),
        )
    session.commit()
    return see("/oncall/me")


@router.post("/notification-rules/{rule_id}/remove")
def remove_rule(
    rule_id: RowId,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    user = session.get(User, principal.user_id)
    try:
        if user is None:
            raise NotFound("your account is gone")
        contacts.remove_rule(session, actor=principal.actor, now=now, user=user, rule_id=rule_id)
    except NotFound as exc:
        raise not_found(principal, exc) from None
    session.commit()
    return see("/oncall/me")
