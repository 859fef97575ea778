"""A quarter of history for `make run`, so the insights pages have something
to show: about three dozen incidents over the demo's services in the last 13
weeks, with the milestones a real response leaves (some late enough to breach
their SLA), repeats on the same service, the pages that woke people, and
action items closed on time, late, or still open.

Everything goes through the use cases (declare, change_status, set_milestone,
add_action_item), so timelines and the audit chain hold together. Pages are
written as the delivered notifications they would have become: a real page
from here would go out again through the worker. Deterministic (a seeded
random generator); added once.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core import deps
from fireline.core.deps import Principal
from fireline.incidents import service, work
from fireline.incidents.models import Incident
from fireline.oncall.models import Notification, Page
from fireline.people.models import User
from fireline.plan.schema import Plan

KEY = "demo-history-{}"
SEED = 20260309
WEEKS = 13
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
DOMAIN = "@demo.fireline.dev"


@dataclass(frozen=True)
class Kind:
    """A kind of trouble: where it strikes, what it is called, who answers."""

    service: str
    type: str
    severities: tuple[str, ...]
    titles: tuple[str, ...]
    on_call: tuple[str, ...]  # who is paged, by e-mail name
    reporters: tuple[str, ...]


KINDS = (
    Kind(
        "postgres-main",
        "service_outage",
        ("SEV1", "SEV2", "SEV2"),
        (
            "Connection pool exhausted on the main database",
            "Replication lag above 5 minutes on the read replicas",
            "Main database connection pool exhausted",
            "Disk almost full on the primary after a vacuum stalled",
        ),
        ("linus", "kenji", "admin"),
        ("linus", "grace"),
    ),
    Kind(
        "checkout",
        "degradation",
        ("SEV2", "SEV3"),
        (
            "Checkout latency above 3 s during peak traffic",
            "Promo codes rejected at checkout",
            "Checkout latency above 3 s at peak",
            "Order confirmation e-mails delayed by an hour",
        ),
        ("mira", "omar"),
        ("mira", "grace"),
    ),
    Kind(
        "payment-gateway",
        "service_outage",
        ("SEV1", "SEV2"),
        (
            "Card authorisations time out at the payment provider",
            "Wallet payments fail after a provider certificate rotation",
            "Refunds stuck in pending",
        ),
        ("omar", "mira"),
        ("omar", "mira"),
    ),
    Kind(
        "search",
        "degradation",
        ("SEV3", "SEV4", "SEV3"),
        (
            "Search index lagging behind catalogue updates",
            "Suggestions empty for non-Latin queries",
            "Search index lag behind the catalogue",
            "Relevance drop after a ranking model deploy",
        ),
        ("kenji", "linus"),
        ("kenji",),
    ),
    Kind(
        "api-gateway",
        "service_outage",
        ("SEV1", "SEV2", "SEV3"),
        (
            "Elevated 5xx rate at the API gateway",
            "Rate limiter blocks a large customer's batch jobs",
            "TLS handshake failures for older Android clients",
            "Gateway config push left one region without routes",
        ),
        ("linus", "kenji", "admin"),
        ("linus", "grace"),
    ),
    Kind(
        "api-gateway",
        "ddos",
        ("SEV2",),
        ("Layer 7 flood against the public API", "SYN flood from a botnet on the edge"),
        ("linus", "admin"),
        ("sam", "linus"),
    ),
    Kind(
        "auth",
        "degradation",
        ("SEV3", "SEV2"),
        (
            "Sign-in failures for SSO customers",
            "Password reset links expire immediately",
            "Session cookies dropped after a browser update",
        ),
        ("sam",),
        ("sam", "grace"),
    ),
    Kind(
        "auth",
        "phishing",
        ("SEV3",),
        (
            "Phishing e-mails asking staff to re-enter SSO passwords",
            "Fake invoice e-mails sent to the finance team",
        ),
        ("sam",),
        ("sam",),
    ),
)
# Each kind's troubles come round in turn, and some are the same trouble in
# other words (the first and third of a list): a trouble back within a few
# weeks on the same service is what the repeats table should catch.

# Minutes: a usual span, and a slow one that misses the severity's SLA.
ACK = {"SEV1": (2, 12, 18, 40), "SEV2": (4, 24, 35, 70), "SEV3": (10, 150, 300, 600)}
RESOLVE = {
    "SEV1": (25, 55, 70, 200),
    "SEV2": (50, 220, 260, 600),
    "SEV3": (90, 900, 1500, 2800),
    "SEV4": (600, 4000, 4000, 9000),
}
SECURITY_PATH = ("containment", "eradication", "recovery", "post_incident", "closed")
ITEM_TITLES = (
    "Alert on {service} saturation before customers notice",
    "Add a runbook step for {service} failover",
    "Load-test {service} at twice the peak",
    "Cap retries from clients of {service}",
)


def _minutes(rng: random.Random, table: dict[str, tuple[int, int, int, int]], key: str) -> float:
    low, high, slow_low, slow_high = table.get(key, table["SEV3"])
    return rng.uniform(slow_low, slow_high) if rng.random() < 0.22 else rng.uniform(low, high)


def seed_history(session: Session, plan: Plan, now: datetime) -> bool:
    """Add the quarter unless it is there; True when added."""
    if session.scalar(select(Incident.id).where(Incident.idempotency_key == KEY.format(0))):
        return False
    users = {
        u.email.split("@")[0]: u for u in session.scalars(select(User)) if u.email.endswith(DOMAIN)
    }
    services = set(session.scalars(select(Service.slug)))
    types, severities = {t.key for t in plan.incident_types}, {s.key for s in plan.severities}
    kinds = [
        k
        for k in KINDS
        if k.service in services
        and k.type in types
        and all(name in users for name in (*k.on_call, *k.reporters))
    ]
    if not kinds:
        return False  # not the demo organisation, or a plan of its own
    rng = random.Random(SEED)
    first = now - WEEKS * 7 * D
    count = 36
    seen: Counter[Kind] = Counter()
    for n in range(count):
        # Spread over the quarter, oldest first, at any hour: some pages come at night.
        declared_at = first + (n + rng.random() * 0.8) * (WEEKS * 7 - 2) * D / count
        kind = rng.choice(kinds)
        title = kind.titles[seen[kind] % len(kind.titles)]
        seen[kind] += 1
        severity = rng.choice([s for s in kind.severities if s in severities] or sorted(severities))
        _one_incident(session, plan, now, rng, users, n, kind, title, severity, declared_at)
    return True


def _as(users: dict[str, User], name: str) -> Principal:
    return deps.principal_of(users[name], "demo")


def _one_incident(
    session: Session,
    plan: Plan,
    now: datetime,
    rng: random.Random,
    users: dict[str, User],
    n: int,
    kind: Kind,
    title: str,
    severity: str,
    declared_at: datetime,
) -> None:
    commander = kind.on_call[n % len(kind.on_call)]
    reporter = rng.choice(kind.reporters)
    detected_at = declared_at - rng.uniform(1, 9) * M
    started_at = (
        detected_at - (rng.uniform(20, 180) if rng.random() < 0.2 else rng.uniform(1, 15)) * M
    )
    lifecycle = plan.lifecycle_of(kind.type)
    declaration = service.Declaration(
        title=title,
        type=kind.type,
        severity=severity,
        summary=f"Seen on {kind.service}; see the timeline for what was done.",
        services=[kind.service],
        commander=users[commander].email,
        started_at=started_at,
        restricted=kind.type == "phishing",
        page_on_call=False,
    )
    author = _as(users, reporter)
    incident, _ = service.declare(session, plan, author, declared_at, declaration, KEY.format(n))
    service.set_milestone(
        session,
        author,
        declared_at,
        incident,
        "detected",
        detected_at,
        "first alert from monitoring",
    )
    acknowledged_at = declared_at + _minutes(rng, ACK, severity) * M
    resolved_at = started_at + _minutes(rng, RESOLVE, severity) * M
    resolved_at = max(resolved_at, acknowledged_at + 10 * M)
    mitigated_at = acknowledged_at + (resolved_at - acknowledged_at) * rng.uniform(0.4, 0.85)
    _page(session, incident, users[commander], declared_at, acknowledged_at)
    lead = _as(users, commander)
    if acknowledged_at > now:
        return
    service.set_milestone(
        session,
        lead,
        acknowledged_at,
        incident,
        "acknowledged",
        acknowledged_at,
        "acknowledged the page",
    )
    steps = (
        [
            ("investigating", acknowledged_at + M),
            ("mitigated", mitigated_at),
            ("resolved", resolved_at),
        ]
        if lifecycle.key == "operational"
        else [
            ("containment", mitigated_at),
            ("eradication", mitigated_at + 5 * M),
            ("recovery", resolved_at),
        ]
    )
    for target, at in steps:
        if at > now or target not in lifecycle.states:
            return
        service.change_status(session, plan, lead, at, incident, target)
    closing = resolved_at + rng.uniform(1, 3) * D
    if closing < now - 3 * D:
        for target in SECURITY_PATH[3:] if lifecycle.key != "operational" else ("closed",):
            service.change_status(session, plan, lead, closing, incident, target)
    if severity in ("SEV1", "SEV2"):
        _action_items(session, rng, users, incident, lead, kind, resolved_at, now)


def _page(
    session: Session, incident: Incident, user: User, sent_at: datetime, acknowledged_at: datetime
) -> None:
    """The page that reached the on-call commander: a push, then a phone
    call when it was not acknowledged within five minutes."""
    page = Page(
        subject_type="incident",
        subject_id=incident.id,
        title=incident.title,
        urgency="high",
        policy={},
        status="resolved",
        escalates=False,
        started_at=sent_at,
        acknowledged_at=acknowledged_at,
        acknowledged_by_id=user.id,
        resolved_at=acknowledged_at,
        assigned_user_ids=[user.id],
    )
    session.add(page)
    session.flush()
    channels = [("log", sent_at)]
    if acknowledged_at - sent_at > 5 * M:
        channels.append(("log", sent_at + 5 * M))
    for step, (channel, at) in enumerate(channels):
        session.add(
            Notification(
                page_id=page.id,
                user_id=user.id,
                kind="page",
                channel=channel,
                step=step,
                status="sent",
                detail="demo history",
                attempts=1,
                created_at=at,
                sent_at=at,
            )
        )


def _action_items(
    session: Session,
    rng: random.Random,
    users: dict[str, User],
    incident: Incident,
    lead: Principal,
    kind: Kind,
    resolved_at: datetime,
    now: datetime,
) -> None:
    added_at = resolved_at + D
    if added_at > now:
        return
    for title in rng.sample(ITEM_TITLES, rng.randint(1, 2)):
        due = (added_at + rng.randint(5, 20) * D).date()
        item = work.add_action_item(
            session,
            lead,
            added_at,
            incident,
            title=title.format(service=kind.service),
            owner=users[rng.choice(kind.on_call)].email,
            due_date=due,
            priority=rng.choice(("medium", "high")),
        )
        fate = rng.random()
        # Half closed by their due day, a fifth late, the rest still open.
        if fate < 0.5:
            closed_at = added_at + rng.uniform(1, (due - added_at.date()).days or 1) * D
        elif fate < 0.7:
            closed_at = added_at + ((due - added_at.date()).days + rng.uniform(2, 9)) * D
        else:
            continue
        if closed_at <= now:
            work.update_action_item(session, lead, closed_at, incident, item.id, status="done")
