"""One-click acknowledge and resolve from a page's e-mail or push message.

The link carries a signed, expiring claim (page, person, action), so it
works without a login. Opening it only shows what it will do: mail scanners
and link previews fetch URLs, and a GET must never acknowledge a page by
itself. The button on that page posts back the same token.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fireline.comms.links import ActionClaim, LinkError, verify_action
from fireline.core.audit import Actor
from fireline.core.deps import get_now, get_session, principal_of
from fireline.core.errors import AppError
from fireline.core.signing import signing_key
from fireline.oncall import contacts, paging
from fireline.oncall.models import ContactMethod, Page
from fireline.people.models import User

router = APIRouter(include_in_schema=False)
VERBS = {
    "ack": ("acknowledge", "Acknowledge"),
    "resolve": ("resolve", "Resolve"),
    "escalate": ("escalate", "Escalate"),
}
VERIFY = "verify"


def _claim(request: Request, session: Session, token: str, now: datetime) -> ActionClaim:
    key = signing_key(session, request.app.state.settings)
    return verify_action(key, token, now)


def _answer(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f'<link rel=stylesheet href="/static/vendor/pico.min.css"><title>{escape(title)}</title>'
        f"<main class=container><h1>{escape(title)}</h1>{body}</main></html>",
        status_code=status,
    )


@router.get("/act/{token}", response_class=HTMLResponse)
def confirm(
    token: str,
    request: Request,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> HTMLResponse:
    try:
        claim = _claim(request, session, token, now)
    except LinkError as exc:
        return _answer("This link does not work", f"<p>{escape(str(exc))}</p>", 400)
    if claim.action == VERIFY:
        method = session.get(ContactMethod, claim.subject_id)
        if method is None or method.user_id != claim.user_id:
            return _answer("This link does not work", "<p>The contact method is gone.</p>", 404)
        session.commit()
        return _answer(
            f"Verify {method.label}",
            f'<form method=post action="/act/{escape(token)}">'
            "<button type=submit>Yes, this reaches me</button></form>",
        )
    page = session.get(Page, claim.subject_id)
    if page is None or claim.action not in VERBS:
        return _answer("This link does not work", "<p>The page is gone.</p>", 404)
    label = VERBS[claim.action][1]
    session.commit()  # the signing key, when this was the first link ever checked
    return _answer(
        f"{label}: {page.title}",
        f"<p>Status: <strong>{escape(page.status)}</strong></p>"
        f'<form method=post action="/act/{escape(token)}">'
        f"<button type=submit>{escape(label)}</button></form>",
    )


@router.post("/act/{token}", response_class=HTMLResponse)
def perform(
    token: str,
    request: Request,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> HTMLResponse:
    try:
        claim = _claim(request, session, token, now)
    except LinkError as exc:
        return _answer("This link does not work", f"<p>{escape(str(exc))}</p>", 400)
    if claim.action == VERIFY:
        return _verify(session, claim, now)
    page = session.get(Page, claim.subject_id)
    user = session.get(User, claim.user_id)
    if page is None or user is None or not user.is_active or claim.action not in VERBS:
        return _answer("This link does not work", "<p>The page or the person is gone.</p>", 404)
    principal = principal_of(user, "link")
    verb, label = VERBS[claim.action]
    try:
        paging.act(session, page, verb, principal, now)
    except AppError as exc:
        return _answer(f"Could not {verb}", f"<p>{escape(exc.message)}</p>", exc.status)
    session.commit()
    return _answer(f"{label}d", f"<p>{escape(page.title)}: {escape(page.status)}.</p>")


def _verify(session: Session, claim: ActionClaim, now: datetime) -> HTMLResponse:
    method = session.get(ContactMethod, claim.subject_id)
    if method is None or method.user_id != claim.user_id:
        return _answer("This link does not work", "<p>The contact method is gone.</p>", 404)
    contacts.verify_method(
        session, actor=Actor.user(method.user_id, method.user.email), now=now, method=method
    )
    session.commit()
    return _answer("Verified", f"<p>{escape(method.label)} reaches you. Pages can use it now.</p>")
