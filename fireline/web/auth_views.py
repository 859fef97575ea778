"""Signing in and out of the web pages."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.config import Settings
from fireline.core.deps import (
    SESSION_COOKIE,
    Principal,
    get_now,
    get_session,
    get_settings_dep,
    optional_principal,
)
from fireline.core.errors import InvalidInput, TooManyRequests
from fireline.core.secrets import same
from fireline.people import service as people
from fireline.web.pages import page_viewer, safe_next
from fireline.web.templating import render

router = APIRouter(include_in_schema=False)

# The login form has no session yet, so its CSRF token is a double-submit
# cookie: a cross-site page can post the form but cannot read or set the cookie.
LOGIN_CSRF_COOKIE = "fireline_login_csrf"


def _login_page(
    request: Request,
    settings: Settings,
    *,
    next_url: str,
    error: str = "",
    email: str = "",
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    context = {"next": next_url, "error": error, "email": email}
    response = render(request, "login.html", context, status_code=status, csrf_token=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_form(
    request: Request,
    next: str = "/",
    principal: Principal | None = Depends(optional_principal),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_url=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    email: str = Form(default="", max_length=320),
    password: str = Form(default="", max_length=1000),
    next: str = Form(default="/", max_length=2000),
    csrf_token: str = Form(default="", max_length=200),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
    now: datetime = Depends(get_now),
) -> Response:
    next_url = safe_next(next)
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_token or not same(cookie_token, csrf_token):
        error = "The form expired. Please sign in again."
        return _login_page(
            request, settings, next_url=next_url, error=error, email=email, status=403
        )
    policy = people.LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_window_seconds),
        session_length=timedelta(hours=settings.session_hours),
    )
    client = request.client.host if request.client else "unknown"
    try:
        opened = people.login(
            session, now=now, email=email, password=password, client=client, policy=policy
        )
    except TooManyRequests as exc:
        return _login_page(
            request, settings, next_url=next_url, error=exc.message, email=email, status=429
        )
    except InvalidInput as exc:
        return _login_page(
            request, settings, next_url=next_url, error=exc.message, email=email, status=401
        )
    session.commit()
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    _: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        people.logout(session, now=now, cookie=cookie)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
