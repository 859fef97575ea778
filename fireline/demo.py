"""A ready-to-explore demo organisation: teams, people and services.

Seeding is idempotent: running it again keeps what is there and only issues a
fresh CLI token (the old demo tokens are revoked, since a secret is shown once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts.demo import seed_alerts
from fireline.catalog import service as catalog
from fireline.comms.status.demo import seed_status_page
from fireline.core.audit import Actor
from fireline.core.config import Settings
from fireline.exercises.demo import seed_exercises
from fireline.incidents.demo import seed_incidents
from fireline.insights.demo import seed_history
from fireline.oncall.demo import seed_oncall
from fireline.people import service as people
from fireline.people.models import ApiToken, Role, User
from fireline.plan import Plan, default_plan
from fireline.playbooks import service as _playbooks  # noqa: F401  (declaring starts playbooks)
from fireline.postmortems.demo import seed_postmortems
from fireline.security.demo import seed_security

DEMO_ADMIN_EMAIL = "admin@demo.fireline.dev"
DEMO_TOKEN_NAME = "demo CLI"

TEAMS = [
    ("platform", "Platform", "Runs the shared infrastructure: API gateway, databases, queues."),
    ("payments", "Payments", "Owns checkout and the payment providers."),
    ("security", "Security", "Detection, response and the security programme."),
]
PEOPLE = [
    # e-mail, name, role, time zone, teams (lead first)
    (DEMO_ADMIN_EMAIL, "Ada Admin", Role.admin, "Europe/London", ["platform"]),
    ("grace@demo.fireline.dev", "Grace Hopper", Role.manager, "America/New_York", ["platform"]),
    ("linus@demo.fireline.dev", "Linus Ops", Role.responder, "Europe/Helsinki", ["platform"]),
    ("kenji@demo.fireline.dev", "Kenji Sato", Role.responder, "Asia/Tokyo", ["platform"]),
    ("mira@demo.fireline.dev", "Mira Payments", Role.responder, "Europe/Berlin", ["payments"]),
    ("omar@demo.fireline.dev", "Omar Checkout", Role.responder, "Asia/Dubai", ["payments"]),
    ("sam@demo.fireline.dev", "Sam Secure", Role.responder, "America/Los_Angeles", ["security"]),
    ("vera@demo.fireline.dev", "Vera Viewer", Role.viewer, "Europe/Paris", []),
]
SERVICES = [
    ("api-gateway", "API gateway", "platform", 1, "Public HTTPS entry point for every client."),
    ("postgres-main", "Main PostgreSQL", "platform", 1, "Primary database cluster."),
    ("checkout", "Checkout", "payments", 1, "Basket to order: the money path."),
    ("payment-gateway", "Payment gateway", "payments", 1, "Card and wallet provider adapters."),
    ("auth", "Authentication", "security", 1, "Sign-in, sessions and SSO."),
    ("search", "Search", "platform", 3, "Product search and suggestions."),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    token: str
    created: bool


def seed(
    session: Session,
    *,
    now: datetime,
    password: str,
    plan: Plan | None = None,
    settings: Settings | None = None,
) -> DemoLogin:
    """``settings`` says where evidence files go (FIRELINE_EVIDENCE_DIR);
    without it the demo's security incidents are left out."""
    actor = Actor.system("fireline demo")
    admin = session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
    created = admin is None
    if created:
        admin = _seed_organisation(session, actor=actor, now=now, password=password)
        users = {u.email: u for u in session.scalars(select(User))}
        seed_incidents(session, plan or default_plan(), now, users)
    assert admin is not None
    # Once only, like the rest; also fills in a demo database made before these existed.
    # On-call first: the demo alerts' pages go out through its policies.
    seed_oncall(session, now)
    seed_alerts(session, now)
    seed_status_page(session, now)
    if settings is not None:
        users = {u.email: u for u in session.scalars(select(User))}
        seed_security(session, plan or default_plan(), now, users, settings)
    seed_history(session, plan or default_plan(), now)
    seed_exercises(session, plan or default_plan(), now)
    seed_postmortems(session, plan or default_plan(), now)
    for old in session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == admin.id,
            ApiToken.name == DEMO_TOKEN_NAME,
            ApiToken.revoked_at.is_(None),
        )
    ):
        people.revoke_token(session, actor=actor, now=now, token=old)
    issued = people.create_token(session, actor=actor, now=now, user=admin, name=DEMO_TOKEN_NAME)
    return DemoLogin(DEMO_ADMIN_EMAIL, password, issued.secret, created)


def _seed_organisation(session: Session, *, actor: Actor, now: datetime, password: str) -> User:
    teams = {
        slug: people.create_team(
            session, actor=actor, now=now, slug=slug, name=name, description=description
        )
        for slug, name, description in TEAMS
    }
    users: dict[str, User] = {}
    for email, name, role, time_zone, team_slugs in PEOPLE:
        user = people.create_user(
            session,
            actor=actor,
            now=now,
            email=email,
            name=name,
            role=role.value,
            time_zone=time_zone,
            password=password,
        )
        users[email] = user
        for slug in team_slugs:
            is_lead = not teams[slug].memberships
            people.add_member(
                session, actor=actor, now=now, team=teams[slug], user=user, is_lead=is_lead
            )
    for slug, name, team, tier, description in SERVICES:
        catalog.create_service(
            session,
            actor=actor,
            now=now,
            slug=slug,
            name=name,
            owner_team=team,
            tier=tier,
            description=description,
        )
    return users[DEMO_ADMIN_EMAIL]
