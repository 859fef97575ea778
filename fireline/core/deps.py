"""FastAPI dependencies shared by every adapter: the database session, the clock, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fireline.core.audit import Actor
from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.errors import Forbidden, NotAuthenticated
from fireline.core.secrets import hash_token, same
from fireline.people.models import ApiToken, Role, User, WebSession

SESSION_COOKIE = "fireline_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Trivial dependencies are async so FastAPI runs them inline instead of
# sending each to the thread pool.
async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.db
    with db.session() as session:
        yield session


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_now(clock: Clock = Depends(get_clock)) -> datetime:
    return clock.now()


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    email: str
    name: str
    role: Role
    time_zone: str
    via: str  # "session" or "token"
    csrf_token: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user_id, self.email)

    def can(self, needed: Role) -> bool:
        return self.role.allows(needed)


def principal_of(user: User, via: str, csrf_token: str | None = None) -> Principal:
    """The caller a user is, arriving ``via`` a session, a token, a link, …"""
    return Principal(
        user.id, user.email, user.name, Role(user.role), user.time_zone, via, csrf_token
    )


def _from_bearer(session: Session, header: str, now: datetime) -> Principal | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
    row = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(token.strip()))
    )
    if row is None or row.revoked_at is not None or not row.user.is_active:
        raise NotAuthenticated("this API token is unknown or revoked")
    # Last use is recorded at most once a minute, so a busy script does not turn
    # every read into a write; it commits on its own, before the request's work.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        session.commit()
    return principal_of(row.user, "token")


def find_web_session(session: Session, cookie: str | None, now: datetime) -> WebSession | None:
    if not cookie:
        return None
    row = session.scalar(
        select(WebSession)
        .options(joinedload(WebSession.user))
        .where(WebSession.token_hash == hash_token(cookie))
    )
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    return row


def optional_principal(
    request: Request,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Principal | None:
    header = request.headers.get("authorization")
    if header:
        return _from_bearer(session, header, now)
    web = find_web_session(session, request.cookies.get(SESSION_COOKIE), now)
    if web is None:
        return None
    return principal_of(web.user, "session", web.csrf_token)


async def check_csrf(request: Request, principal: Principal) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not principal.csrf_token or not same(sent, principal.csrf_token):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again", code="csrf")


def require(role: Role) -> Callable[..., object]:
    """A dependency that admits callers holding ``role`` or a higher one."""

    async def dependency(
        request: Request, principal: Principal | None = Depends(optional_principal)
    ) -> Principal:
        if principal is None:
            raise NotAuthenticated("sign in or send 'Authorization: Bearer <token>'")
        await check_csrf(request, principal)
        if not principal.can(role):
            raise Forbidden(f"this needs the {role.value} role; you are {principal.role.value}")
        return principal

    return dependency


require_viewer = require(Role.viewer)
require_responder = require(Role.responder)
require_manager = require(Role.manager)
require_admin = require(Role.admin)
