"""On-call demo data for `make run`: two teams' schedules (the platform team
follows the sun from three time zones), their escalation policies, and
contact methods on the log channel, so the demo pages people without ever
sending a real message.

One person's contact method is left unverified on purpose: the on-call pages
and `fireline oncall check` show what that warning looks like.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core.audit import Actor
from fireline.oncall import policies, schedules
from fireline.oncall.models import ContactMethod, NotificationRule, Schedule
from fireline.people.models import Team, User

ACTOR = Actor.system("fireline demo")
FOLLOW_THE_SUN = "platform-follow-the-sun"
PAYMENTS = "payments-primary"
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
# (e-mail, with the log channel's "phone" named after them, verified?)
REACHABLE = (
    ("admin@demo.fireline.dev", True),
    ("grace@demo.fireline.dev", True),
    ("linus@demo.fireline.dev", True),
    ("kenji@demo.fireline.dev", True),
    ("mira@demo.fireline.dev", True),
    ("omar@demo.fireline.dev", False),
)
POLICY_OF_SERVICE = {
    "api-gateway": "platform-dba",
    "postgres-main": "platform-dba",
    "search": "platform-dba",
    "checkout": "payments-oncall",
    "payment-gateway": "payments-oncall",
}


def seed_oncall(session: Session, now: datetime) -> bool:
    """Add the on-call demo unless it is there already; True when added."""
    if session.scalar(select(Schedule.id).where(Schedule.slug == FOLLOW_THE_SUN)) is not None:
        return False
    people = {u.email: u for u in session.scalars(select(User))}
    if not all(email in people for email, _ in REACHABLE):
        return False  # not the demo organisation
    _contact_methods(session, now, people)
    sun = _follow_the_sun(session, now)
    payments = _payments(session, now)
    teams = {t.slug: t for t in session.scalars(select(Team))}
    policies.create_policy(
        session,
        actor=ACTOR,
        now=now,
        slug="platform-dba",
        name="Platform and databases",
        team="platform",
        repeat=1,
        steps=[
            {"delay_minutes": 10, "targets": [{"type": "schedule", "id": sun.id}]},
            {"delay_minutes": 10, "targets": [{"type": "team", "id": teams["platform"].id}]},
        ],
        description="The follow-the-sun on-call first, then the whole platform team.",
    )
    policies.create_policy(
        session,
        actor=ACTOR,
        now=now,
        slug="payments-oncall",
        name="Payments on-call",
        team="payments",
        ack_timeout_minutes=60,
        steps=[
            {"delay_minutes": 5, "targets": [{"type": "schedule", "id": payments.id}]},
            {
                "delay_minutes": 15,
                "targets": [{"type": "user", "id": people["grace@demo.fireline.dev"].id}],
            },
        ],
        description="Checkout is the money path: five minutes, then the engineering manager.",
    )
    for service in session.scalars(select(Service).where(Service.slug.in_(POLICY_OF_SERVICE))):
        policies.set_service_policy(
            session, actor=ACTOR, now=now, service=service, policy=POLICY_OF_SERVICE[service.slug]
        )
    return True


def _contact_methods(session: Session, now: datetime, people: dict[str, User]) -> None:
    for email, verified in REACHABLE:
        user = people[email]
        method = ContactMethod(
            user_id=user.id,
            kind="log",
            label="Demo phone (log only)",
            target={"name": f"{user.name.split()[0]}'s phone"},
            verified_at=now if verified else None,
            created_at=now,
        )
        session.add(method)
        session.flush()
        for urgency in ("high", "low"):
            session.add(
                NotificationRule(
                    user_id=user.id, urgency=urgency, contact_method_id=method.id, delay_minutes=0
                )
            )


def _last_monday(now: datetime, zone: str, hour: int) -> str:
    """A handoff on a Monday some weeks back, as the local reading layers take."""
    local = now.astimezone(ZoneInfo(zone)) - timedelta(weeks=3)
    monday = local - timedelta(days=local.isoweekday() - 1)
    return monday.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def _follow_the_sun(session: Session, now: datetime) -> Schedule:
    """Three regions, eight daylight hours each, in UTC."""
    schedule = schedules.create_schedule(
        session,
        actor=ACTOR,
        now=now,
        slug=FOLLOW_THE_SUN,
        name="Platform follow-the-sun",
        time_zone="UTC",
        team="platform",
        description="Tokyo, then London and Helsinki, then New York: nobody is paged at night.",
    )
    regions = (
        ("Asia-Pacific (Tokyo 08:00-16:00)", ["kenji@demo.fireline.dev"], "23:00", "07:00"),
        (
            "Europe (London and Helsinki)",
            ["linus@demo.fireline.dev", "admin@demo.fireline.dev"],
            "07:00",
            "15:00",
        ),
        ("Americas (New York 10:00-18:00)", ["grace@demo.fireline.dev"], "15:00", "23:00"),
    )
    for name, users, start, end in regions:
        schedules.add_layer(
            session,
            actor=ACTOR,
            now=now,
            schedule=schedule,
            spec=schedules.LayerSpec(
                name=name,
                users=users,
                handoff=_last_monday(now, "UTC", 7),
                rotation_length=1,
                rotation_unit="weeks",
                restrictions=[{"days": EVERY_DAY, "start": start, "end": end}],
            ),
        )
    return schedule


def _payments(session: Session, now: datetime) -> Schedule:
    """A weekly rotation in Berlin, and one evening somebody covers."""
    schedule = schedules.create_schedule(
        session,
        actor=ACTOR,
        now=now,
        slug=PAYMENTS,
        name="Payments primary",
        time_zone="Europe/Berlin",
        team="payments",
        description="Weekly, handing over on Monday mornings in Berlin.",
    )
    schedules.add_layer(
        session,
        actor=ACTOR,
        now=now,
        schedule=schedule,
        spec=schedules.LayerSpec(
            name="Weekly rotation",
            users=["mira@demo.fireline.dev", "omar@demo.fireline.dev"],
            handoff=_last_monday(now, "Europe/Berlin", 9),
        ),
    )
    evening = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    schedules.add_override(
        session,
        actor=ACTOR,
        now=now,
        schedule=schedule,
        user="grace@demo.fireline.dev",
        starts_at=evening,
        ends_at=evening + timedelta(hours=4),
        note="Covering a dentist appointment",
    )
    return schedule
