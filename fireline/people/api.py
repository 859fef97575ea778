"""JSON API for people and access: users, teams, API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_admin,
    require_manager,
    require_viewer,
)
from fireline.core.errors import Forbidden, NotFound
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.people import service
from fireline.people.models import ApiToken, Role, Team, User

router = APIRouter(prefix="/api/v1", tags=["people"])


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    time_zone: str
    is_active: bool
    teams: list[str]
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            time_zone=user.time_zone,
            is_active=user.is_active,
            teams=sorted(m.team.slug for m in user.memberships),
            created_at=user.created_at,
        )


class UserIn(Strict):
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: str = Role.responder.value
    time_zone: str = "UTC"
    password: str | None = Field(default=None, max_length=1000)


class RoleIn(Strict):
    role: str


class TeamOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    members: list[dict[str, object]]

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        members = [
            {"user_id": m.user_id, "email": m.user.email, "name": m.user.name, "is_lead": m.is_lead}
            for m in sorted(team.memberships, key=lambda m: m.user.name)
        ]
        return cls(
            id=team.id,
            slug=team.slug,
            name=team.name,
            description=team.description,
            members=members,
        )


class TeamIn(Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class MemberIn(Strict):
    user: str = Field(description="user id or e-mail address")
    is_lead: bool = False


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            user_id=token.user_id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret; shown this once and never again")


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    user: str | None = Field(default=None, description="admins only: create for this user")


@router.get("/me", response_model=UserOut, summary="Who the caller is")
def me(
    principal: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> UserOut:
    return UserOut.of(service.get_user(session, principal.user_id))


@router.get("/users", response_model=list[UserOut])
def list_users(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[UserOut]:
    return [UserOut.of(u) for u in session.scalars(select(User).order_by(User.name))]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> UserOut:
    user = service.create_user(session, actor=principal.actor, now=now, **body.model_dump())
    session.commit()
    return UserOut.of(user)


@router.get("/users/{ref}", response_model=UserOut)
def get_user(
    ref: str, _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> UserOut:
    return UserOut.of(service.find_user(session, ref))


@router.put("/users/{ref}/role", response_model=UserOut)
def set_role(
    ref: str,
    body: RoleIn,
    principal: Principal = Depends(require_admin),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> UserOut:
    user = service.find_user(session, ref)
    service.set_role(session, actor=principal.actor, now=now, user=user, role=body.role)
    session.commit()
    return UserOut.of(user)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[TeamOut]:
    return [TeamOut.of(t) for t in session.scalars(select(Team).order_by(Team.name))]


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(
    body: TeamIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TeamOut:
    team = service.create_team(session, actor=principal.actor, now=now, **body.model_dump())
    session.commit()
    return TeamOut.of(team)


@router.get("/teams/{slug}", response_model=TeamOut)
def get_team(
    slug: str, _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> TeamOut:
    return TeamOut.of(service.find_team(session, slug))


@router.post("/teams/{slug}/members", response_model=TeamOut, status_code=201)
def add_member(
    slug: str,
    body: MemberIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TeamOut:
    team = service.find_team(session, slug)
    user = service.find_user(session, body.user)
    service.add_member(
        session, actor=principal.actor, now=now, team=team, user=user, is_lead=body.is_lead
    )
    session.commit()
    session.refresh(team)
    return TeamOut.of(team)


@router.delete("/teams/{slug}/members/{user_ref}", response_model=TeamOut)
def remove_member(
    slug: str,
    user_ref: str,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TeamOut:
    team = service.find_team(session, slug)
    user = service.find_user(session, user_ref)
    service.remove_member(session, actor=principal.actor, now=now, team=team, user=user)
    session.commit()
    session.refresh(team)
    return TeamOut.of(team)


@router.get("/tokens", response_model=list[TokenOut], summary="The caller's API tokens")
def list_tokens(
    principal: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[TokenOut]:
    query = select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id)
    return [TokenOut.of(t) for t in session.scalars(query)]


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def create_token(
    body: TokenIn,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> NewTokenOut:
    user = service.get_user(session, principal.user_id)
    if body.user is not None:
        if not principal.can(Role.admin):
            raise Forbidden("only admins create tokens for other people", field="user")
        user = service.find_user(session, body.user)
    issued = service.create_token(
        session, actor=principal.actor, now=now, user=user, name=body.name
    )
    session.commit()
    return NewTokenOut(**TokenOut.of(issued.row).model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(
    token_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TokenOut:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user_id and not principal.can(Role.admin)):
        raise NotFound(f"no token with id {token_id}")
    service.revoke_token(session, actor=principal.actor, now=now, token=token)
    session.commit()
    return TokenOut.of(token)
