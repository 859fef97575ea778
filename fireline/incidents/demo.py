"""Demo incidents for `make run`: past and open, operational and security,
each with the timeline a real response would leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fireline.core import deps
from fireline.core.deps import Principal
from fireline.incidents import service
from fireline.people.models import User
from fireline.plan.schema import Plan


@dataclass(frozen=True)
class Step:
    after: timedelta  # since the incident was declared
    who: str  # e-mail of the person acting
    action: str  # note, status, severity, role
    value: str = ""
    extra: str = ""


@dataclass(frozen=True)
class Story:
    title: str
    type: str
    severity: str
    declared_ago: timedelta
    declared_by: str
    summary: str
    services: tuple[str, ...] = ()
    restricted: bool = False
    steps: tuple[Step, ...] = ()


M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

STORIES = (
    Story(
        "Checkout returns 502 for card payments",
        "service_outage",
        "SEV1",
        9 * D,
        "mira@demo.fireline.dev",
        "Card payments fail at the last step of checkout for every customer; wallets still work.",
        ("checkout", "payment-gateway"),
        steps=(
            Step(
                2 * M,
                "mira@demo.fireline.dev",
                "role",
                "communications_lead",
                "grace@demo.fireline.dev",
            ),
            Step(
                4 * M,
                "mira@demo.fireline.dev",
                "note",
                "Error rate on `POST /pay` at 38%; started 14:02, right after deploy 2024.9.3 of payment-gateway.",
            ),
            Step(6 * M, "mira@demo.fireline.dev", "status", "investigating"),
            Step(
                11 * M,
                "omar@demo.fireline.dev",
                "note",
                "The new TLS settings reject the card processor's intermediate certificate.",
            ),
            Step(12 * M, "mira@demo.fireline.dev", "status", "identified"),
            Step(
                19 * M, "omar@demo.fireline.dev", "note", "Rolled payment-gateway back to 2024.9.2."
            ),
            Step(20 * M, "mira@demo.fireline.dev", "status", "mitigated"),
            Step(
                48 * M,
                "mira@demo.fireline.dev",
                "note",
                "Error rate back to baseline for 25 minutes; retry queue drained.",
            ),
            Step(50 * M, "mira@demo.fireline.dev", "status", "resolved"),
            Step(2 * D, "grace@demo.fireline.dev", "status", "closed"),
        ),
    ),
    Story(
        "Leaked cloud access key in a public repository",
        "leaked_credential",
        "SEV2",
        20 * D,
        "sam@demo.fireline.dev",
        "A deploy key for the staging account was pushed to a public fork; secret scanning alerted.",
        ("auth",),
        restricted=True,
        steps=(
            Step(
                5 * M,
                "sam@demo.fireline.dev",
                "note",
                "Key created 2024-03-11, last used from our CI runners only until today.",
            ),
            Step(9 * M, "sam@demo.fireline.dev", "status", "containment"),
            Step(
                10 * M,
                "sam@demo.fireline.dev",
                "note",
                "Key deactivated; fork reported to the hosting provider for takedown.",
            ),
            Step(2 * H, "sam@demo.fireline.dev", "status", "eradication"),
            Step(
                3 * H,
                "sam@demo.fireline.dev",
                "note",
                "No use of the key from outside our ranges in 90 days of access logs.",
            ),
            Step(4 * H, "sam@demo.fireline.dev", "status", "recovery"),
            Step(
                5 * H,
                "sam@demo.fireline.dev",
                "note",
                "CI now uses short-lived credentials; pre-commit secret scanning on all repositories.",
            ),
            Step(1 * D, "sam@demo.fireline.dev", "status", "post_incident"),
        ),
    ),
    Story(
        "Primary database failover during maintenance",
        "service_outage",
        "SEV2",
        35 * D,
        "linus@demo.fireline.dev",
        "Planned minor-version upgrade triggered an unplanned failover; writes failed for 6 minutes.",
        ("postgres-main", "api-gateway"),
        steps=(
            Step(3 * M, "linus@demo.fireline.dev", "status", "identified"),
            Step(
                7 * M,
                "linus@demo.fireline.dev",
                "note",
                "Replica promoted; applications reconnected through the pooler.",
            ),
            Step(8 * M, "linus@demo.fireline.dev", "status", "mitigated"),
            Step(1 * H, "linus@demo.fireline.dev", "status", "resolved"),
        ),
    ),
    Story(
        "Search latency above 2 s in the EU region",
        "degradation",
        "SEV3",
        3 * H,
        "linus@demo.fireline.dev",
        "p95 search latency rose from 300 ms to 2.4 s for EU customers; results are still correct.",
        ("search",),
        steps=(
            Step(15 * M, "linus@demo.fireline.dev", "status", "investigating"),
            Step(
                40 * M,
                "linus@demo.fireline.dev",
                "note",
                "One of three search nodes is at 100% CPU on segment merges.",
            ),
        ),
    ),
    Story(
        "Phishing e-mails impersonating the CFO",
        "phishing",
        "SEV3",
        1 * D,
        "sam@demo.fireline.dev",
        "Finance staff received e-mails asking for urgent wire transfers; two people clicked the link.",
        steps=(
            Step(
                20 * M,
                "sam@demo.fireline.dev",
                "note",
                "Sender domain registered yesterday; link leads to a fake sign-in page.",
            ),
            Step(30 * M, "sam@demo.fireline.dev", "status", "containment"),
            Step(
                35 * M,
                "sam@demo.fireline.dev",
                "note",
                "Domain blocked at the mail gateway; passwords of the two people reset, sessions revoked.",
            ),
        ),
    ),
)


def principal_of(user: User) -> Principal:
    return deps.principal_of(user, "demo")


def seed_incidents(session: Session, plan: Plan, now: datetime, users: dict[str, User]) -> None:
    types, severities = {t.key for t in plan.incident_types}, {s.key for s in plan.severities}
    for story in STORIES:
        if story.type not in types or story.severity not in severities:
            continue  # a plan of its own may not have these; the demo adapts
        declared_at = now - story.declared_ago
        author = principal_of(users[story.declared_by])
        declaration = service.Declaration(
            title=story.title,
            type=story.type,
            severity=story.severity,
            summary=story.summary,
            services=list(story.services),
            started_at=declared_at - 3 * M,
            restricted=story.restricted,
        )
        incident, _ = service.declare(session, plan, author, declared_at, declaration)
        for step in story.steps:
            at = declared_at + step.after
            who = principal_of(users[step.who])
            if step.action == "note":
                service.add_note(session, who, at, incident, step.value)
            elif step.action == "status":
                service.change_status(session, plan, who, at, incident, step.value)
            elif step.action == "role":
                service.assign_role(session, plan, who, at, incident, step.value, step.extra)
