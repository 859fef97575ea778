"""Use cases for people and access. Each runs inside the caller's transaction
and appends its audit record there; the adapter commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from fireline.core.ids import as_row_id
from fireline.core.secrets import hash_password, hash_token, new_token, verify_password
from fireline.people.models import (
    ApiToken,
    LoginFailure,
    Role,
    Team,
    TeamMembership,
    User,
    WebSession,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InvalidInput("expected an e-mail address like ada@example.com", field="email")
    return email


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin", field="time_zone"
        ) from None
    return name


def check_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {value!r}; expected one of {allowed}", field="role"
        ) from None


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    return password


def check_slug(slug: str, field: str = "slug") -> str:
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "expected lowercase letters, digits and dashes, starting with a letter or digit",
            field=field,
        )
    return slug


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def find_user(session: Session, ref: str) -> User:
    """A user by id or e-mail address."""
    row_id = as_row_id(ref)
    if row_id is not None:
        return get_user(session, row_id)
    user = session.scalar(select(User).where(User.email == ref.strip().lower()))
    if user is None:
        raise NotFound(f"no user with e-mail {ref}")
    return user


def create_user(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    email: str,
    name: str,
    role: str = Role.responder.value,
    time_zone: str = "UTC",
    password: str | None = None,
) -> User:
    email = normalise_email(email)
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    role_value = check_role(role).value
    check_time_zone(time_zone)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    user = User(
        email=email,
        name=name.strip(),
        role=role_value,
        time_zone=time_zone,
        password_hash=hash_password(check_password(password)) if password else None,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        changes={"email": email, "name": user.name, "role": role_value, "time_zone": time_zone},
        now=now,
    )
    return user


def set_role(session: Session, *, actor: Actor, now: datetime, user: User, role: str) -> User:
    new = check_role(role).value
    old = user.role
    if old == new:
        return user
    if old == Role.admin.value and _admin_count(session) <= 1:
        raise Conflict("this is the last admin; make someone else admin first", field="role")
    user.role = new
    user.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="user.role_changed",
        object_type="user",
        object_id=user.id,
        changes={"role": [old, new]},
        now=now,
    )
    return user


def _admin_count(session: Session) -> int:
    query = select(func.count()).where(User.role == Role.admin.value, User.is_active.is_(True))
    return session.scalar(query) or 0


def set_password(
    session: Session, *, actor: Actor, now: datetime, user: User, password: str
) -> None:
    user.password_hash = hash_password(check_password(password))
    user.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="user.password_set",
        object_type="user",
        object_id=user.id,
        changes={"password": "changed"},
        now=now,
    )


# --- teams -----------------------------------------------------------------


def create_team(
    session: Session, *, actor: Actor, now: datetime, slug: str, name: str, description: str = ""
) -> Team:
    check_slug(slug)
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    if session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        raise Conflict(f"a team called {slug} already exists", field="slug")
    team = Team(slug=slug, name=name.strip(), description=description, created_at=now)
    session.add(team)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.created",
        object_type="team",
        object_id=team.id,
        changes={"slug": slug, "name": team.name},
        now=now,
    )
    return team


def find_team(session: Session, ref: str) -> Team:
    row_id = as_row_id(ref)
    team = (
        session.get(Team, row_id)
        if row_id is not None
        else session.scalar(select(Team).where(Team.slug == ref))
    )
    if team is None:
        raise NotFound(f"no team {ref}")
    return team


def add_member(
    session: Session, *, actor: Actor, now: datetime, team: Team, user: User, is_lead: bool = False
) -> TeamMembership:
    existing = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team.id, TeamMembership.user_id == user.id
        )
    )
    if existing is not None:
        raise Conflict(f"{user.email} is already in {team.slug}", field="user")
    membership = TeamMembership(team=team, user=user, is_lead=is_lead)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.member_added",
        object_type="team",
        object_id=team.id,
        changes={"user_id": user.id, "is_lead": is_lead},
        now=now,
    )
    return membership


def remove_member(session: Session, *, actor: Actor, now: datetime, team: Team, user: User) -> None:
    membership = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team.id, TeamMembership.user_id == user.id
        )
    )
    if membership is None:
        raise NotFound(f"{user.email} is not in {team.slug}")
    session.delete(membership)
    audit.record(
        session,
        actor=actor,
        action="team.member_removed",
        object_type="team",
        object_id=team.id,
        changes={"user_id": user.id},
        now=now,
    )


# --- API tokens --------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session, *, actor: Actor, now: datetime, user: User, name: str
) -> IssuedToken:
    if not name.strip():
        raise InvalidInput("give the token a name that says where it is used", field="name")
    secret = new_token()
    row = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:8],
        token_hash=hash_token(secret),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.created",
        object_type="api_token",
        object_id=row.id,
        changes={"user_id": user.id, "name": row.name, "prefix": row.prefix},
        now=now,
    )
    return IssuedToken(row, secret)


def revoke_token(session: Session, *, actor: Actor, now: datetime, token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        return token
    token.revoked_at = now
    audit.record(
        session,
        actor=actor,
        action="token.revoked",
        object_type="api_token",
        object_id=token.id,
        changes={"user_id": token.user_id, "name": token.name},
        now=now,
    )
    return token


# --- web sessions and login ----------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    window: timedelta
    session_length: timedelta


@dataclass(frozen=True)
class NewWebSession:
    row: WebSession
    cookie: str  # the secret sent to the browser; only its hash is stored


def _failure_keys(email: str, client: str) -> list[str]:
    return [f"email:{email.strip().lower()}", f"client:{client}"]


def login(
    session: Session,
    *,
    now: datetime,
    email: str,
    password: str,
    client: str,
    policy: LoginPolicy,
) -> NewWebSession:
    """Check a password and open a web session; failed attempts are rate-limited
    per account and per client address.

    Unlike other use cases this commits on its failure paths: the failed attempt
    must be stored even though the caller answers with an error."""
    keys = _failure_keys(email, client)
    since = now - policy.window
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    for key in keys:
        failures = session.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        if (failures or 0) >= policy.max_failures:
            session.commit()
            minutes = int(policy.window.total_seconds() // 60)
            raise TooManyRequests(
                f"too many failed sign-ins; try again in {minutes} minutes", field="password"
            )
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        for key in keys:
            session.add(LoginFailure(key=key, at=now))
        session.commit()
        raise InvalidInput(
            "wrong e-mail address or password", field="password", code="login_failed"
        )
    cookie = secrets.token_urlsafe(32)
    row = WebSession(
        user_id=user.id,
        token_hash=hash_token(cookie),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + policy.session_length,
    )
    session.add(row)
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    audit.record(
        session,
        actor=Actor.user(user.id, user.email),
        action="user.logged_in",
        object_type="user",
        object_id=user.id,
        changes={"client": client},
        now=now,
    )
    return NewWebSession(row, cookie)


def logout(session: Session, *, now: datetime, cookie: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(cookie)))
    if row is None:
        return
    session.delete(row)
    audit.record(
        session,
        actor=Actor.user(row.user_id, row.user.email),
        action="user.logged_out",
        object_type="user",
        object_id=row.user_id,
        changes={},
        now=now,
    )
