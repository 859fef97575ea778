"""The demo status page for `make run`: components in groups linked to the
demo services, a past incident told in public updates (with the outage it
left on the uptime bars), and a scheduled maintenance."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.comms.status import components, service
from fireline.comms.status.models import Component
from fireline.incidents.models import Incident

H = timedelta(hours=1)
M = timedelta(minutes=1)

GROUPS = {
    "Storefront": [
        ("Website", "Browsing, search and the basket.", ["search"]),
        ("Checkout", "Placing orders and paying.", ["checkout", "payment-gateway"]),
    ],
    "Platform": [
        ("Public API", "api.example.com for apps and partners.", ["api-gateway"]),
        ("Sign-in", "Accounts, sessions and single sign-on.", ["auth"]),
    ],
}
TEMPLATES = [
    (
        "Investigating",
        "investigating",
        "We are investigating reports of problems with {component}. Next update within 30 minutes.",
    ),
    (
        "Fix deployed",
        "monitoring",
        "A fix is in place and we are watching the results closely.",
    ),
    (
        "Resolved",
        "resolved",
        "This incident is resolved. Thank you for your patience.",
    ),
]


def seed_status_page(session: Session, now: datetime) -> bool:
    """Add the demo status page unless it has components already; True when added."""
    if session.scalar(select(Component.id).limit(1)) is not None:
        return False
    known = set(session.scalars(select(Service.slug)))
    # The uptime bars start 90 days back, as if the page had been running since.
    since = now - timedelta(days=90)
    components.update_page_settings(
        session, None, now, name="Demo Shop Status", support_url="https://example.com/support"
    )
    codes: dict[str, str] = {}
    for group_name, members in GROUPS.items():
        group = components.create_group(session, None, since, name=group_name)
        for name, description, services in members:
            component = components.create_component(
                session,
                None,
                since,
                name=name,
                description=description,
                group=group.id,
                services=[s for s in services if s in known],
            )
            codes[name] = component.code
    for name, status, body in TEMPLATES:
        service.create_template(session, None, now, name=name, status=status, body=body)
    _past_incident(session, now, codes)
    _maintenance(session, now, codes)
    return True


def _past_incident(session: Session, now: datetime, codes: dict[str, str]) -> None:
    """The demo's SEV1 card-payment outage, as customers were told of it."""
    internal = session.scalars(
        select(Incident).where(Incident.title.like("Checkout returns 502%")).limit(1)
    ).first()
    start = internal.started_at if internal else now - timedelta(days=9)
    checkout = codes["Checkout"]
    public = service.open_incident(
        session,
        None,
        start + 6 * M,
        name="Card payments failing at checkout",
        body="Card payments fail at the last step of checkout. Wallet payments still work.",
        impact="major",
        components={checkout: "partial_outage"},
        incident=internal,
        notify=False,
    )
    steps = [
        (
            25 * M,
            "identified",
            "The payment provider rejects our requests after a certificate change; we are rolling it back.",
            {checkout: "partial_outage"},
        ),
        (
            58 * M,
            "monitoring",
            "Card payments work again. We are watching them closely.",
            {checkout: "degraded_performance"},
        ),
        (
            95 * M,
            "resolved",
            "Card payments have worked normally for half an hour. Sorry for the trouble.",
            {checkout: "operational"},
        ),
    ]
    for after, status, body, statuses in steps:
        service.post_update(
            session,
            None,
            start + after,
            public,
            status=status,
            body=body,
            components=statuses,
            notify=False,
        )


def _maintenance(session: Session, now: datetime, codes: dict[str, str]) -> None:
    start = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    service.schedule_maintenance(
        session,
        None,
        now,
        name="Database upgrade",
        body="We upgrade the main database to a new major version. Sign-in and the public API "
        "may answer slowly for up to an hour.",
        scheduled_for=start,
        scheduled_until=start + H,
        components=[codes["Public API"], codes["Sign-in"]],
        notify=False,
    )
