"""Demo post-mortems for `make run`: published reviews of the demo's resolved
outages, one in review, and action items open, closed and overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.incidents import work
from fireline.incidents.demo import principal_of
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.postmortems import service
from fireline.postmortems.template import PROMPT_MARK

D = timedelta(days=1)


@dataclass(frozen=True)
class Item:
    title: str
    owner: str
    due_in: timedelta  # from now; negative: in the past
    priority: str
    closed_ago: timedelta | None = None  # done this long before now
    ticket: str = ""


@dataclass(frozen=True)
class Review:
    incident_title: str
    author: str
    reviewers: tuple[str, ...]
    publish: bool
    written: dict[str, str]  # section key -> the team's text
    items: tuple[Item, ...]


REVIEWS = (
    Review(
        "Checkout returns 502 for card payments",
        "mira@demo.fireline.dev",
        ("grace@demo.fireline.dev", "omar@demo.fireline.dev"),
        True,
        {
            "contributing_factors": (
                "- Release 2024.9.3 of payment-gateway tightened the TLS settings to the"
                " current Mozilla profile. The card processor still sends an intermediate"
                " certificate signed with SHA-1, which the new profile rejects.\n"
                "- The gateway's integration tests run against a stub of the processor"
                " with our own certificates, so nothing in CI exercised the real chain.\n"
                "- The deploy went to 100% of hosts at once: payment-gateway has no canary stage."
            ),
            "went_well": (
                "- Support escalated the first customer reports within two minutes, and the"
                " error rate on `POST /pay` pointed at the gateway straight away.\n"
                "- Rolling back took one command and seven minutes; the retry queue"
                " replayed every failed payment without duplicates."
            ),
            "went_poorly": (
                "- It took 11 minutes to connect the errors with the deploy: the deploy"
                " was not marked on the checkout dashboard.\n"
                "- The status page was updated 14 minutes in, after customers had asked."
            ),
            "lucky": "Wallet payments use another processor and kept working, so about a third of orders went through.",
            "lessons": (
                "Third parties' certificate chains are part of our attack surface and our"
                " availability: we test against the real chain, and we roll out TLS changes"
                " like any other risky change."
            ),
        },
        (
            Item(
                "Test against the processor's real certificate chain in CI",
                "omar@demo.fireline.dev",
                -3 * D,
                "high",
                ticket="https://tracker.demo.fireline.dev/PAY-412",
            ),
            Item(
                "Canary stage for payment-gateway deploys", "mira@demo.fireline.dev", 10 * D, "high"
            ),
            Item(
                "Show deploys on the checkout dashboard",
                "linus@demo.fireline.dev",
                -4 * D,
                "medium",
                closed_ago=5 * D,
            ),
        ),
    ),
    Review(
        "Primary database failover during maintenance",
        "linus@demo.fireline.dev",
        ("grace@demo.fireline.dev",),
        True,
        {
            "contributing_factors": (
                "- The minor-version upgrade restarts the primary; the runbook assumed the"
                " pooler would hold connections, but its health check timed out first and"
                " triggered the failover.\n"
                "- Maintenance ran at 10:00 UTC, in the European business day."
            ),
            "went_well": "The replica was promoted automatically and applications reconnected through the pooler.",
            "went_poorly": "Writes failed for six minutes because the pooler's health-check timeout (5 s) is shorter than a restart.",
            "lucky": "No batch jobs were running: the nightly settlement run would have failed halfway.",
            "lessons": "A maintenance runbook is only as good as its last rehearsal: we rehearse upgrades in staging with production settings.",
        },
        (
            Item(
                "Rehearse minor upgrades in staging with production pooler settings",
                "linus@demo.fireline.dev",
                -20 * D,
                "high",
                closed_ago=15 * D,
            ),
            Item(
                "Raise the pooler health-check timeout above a restart's duration",
                "kenji@demo.fireline.dev",
                -6 * D,
                "critical",
            ),
            Item(
                "Move database maintenance windows to 03:00 UTC",
                "grace@demo.fireline.dev",
                -25 * D,
                "low",
                closed_ago=26 * D,
            ),
        ),
    ),
    Review(
        "Leaked cloud access key in a public repository",
        "sam@demo.fireline.dev",
        ("demo-admin",),  # restricted: only those who may see it can review it
        False,
        {
            "contributing_factors": (
                "- Long-lived deploy keys were stored in a CI configuration file in the"
                " repository, encrypted with a key in the same file.\n"
                "- Forking kept the file; nothing scanned forks for secrets."
            ),
            "went_well": "Secret scanning alerted within minutes of the push; the key was deactivated nine minutes later.",
            "went_poorly": "Finding every place the key was used took two hours: there is no inventory of credentials.",
            "lucky": "The key belonged to the staging account, which holds no customer data.",
            "lessons": "Credentials that never expire will eventually leak; we move CI to short-lived credentials.",
        },
        (
            Item(
                "Short-lived OIDC credentials for every CI pipeline",
                "sam@demo.fireline.dev",
                14 * D,
                "high",
            ),
            Item(
                "Inventory of cloud credentials and their owners",
                "sam@demo.fireline.dev",
                21 * D,
                "medium",
            ),
        ),
    ),
)


def seed_postmortems(session: Session, plan: Plan, now: datetime) -> None:
    """Once only: incidents that already have a post-mortem are left alone."""
    users = {u.email: u for u in session.scalars(select(User))}
    admin = next((u for u in users.values() if u.role == "admin"), None)
    for review in REVIEWS:
        incident = session.scalar(select(Incident).where(Incident.title == review.incident_title))
        if incident is None or incident.resolved_at is None or service.get(session, incident):
            continue
        if review.author not in users:
            continue
        _seed_one(session, plan, now, incident, review, users, admin)


def _seed_one(
    session: Session,
    plan: Plan,
    now: datetime,
    incident: Incident,
    review: Review,
    users: dict[str, User],
    admin: User | None,
) -> None:
    author = principal_of(users[review.author])
    assert incident.resolved_at is not None
    at: datetime = min(incident.resolved_at + D, now - 3 * D)
    for item in review.items:
        if item.owner not in users:
            continue
        added = work.add_action_item(
            session,
            author,
            at,
            incident,
            title=item.title,
            owner=str(users[item.owner].id),
            due_date=(now + item.due_in).date(),
            priority=item.priority,
            ticket_url=item.ticket,
        )
        if item.closed_ago is not None:
            owner = principal_of(users[item.owner])
            work.update_action_item(
                session, owner, now - item.closed_ago, incident, added.id, status="done"
            )
    service.draft(session, plan, author, at, incident)
    pm = service.get(session, incident)
    assert pm is not None
    service.edit(
        session,
        author,
        at + timedelta(hours=2),
        incident,
        body=_written(plan, pm.body, review.written),
    )
    reviewers = [admin if ref == "demo-admin" else users.get(ref) for ref in review.reviewers]
    for reviewer in reviewers:
        if reviewer is not None and reviewer.id != author.user_id:
            service.add_reviewer(
                session, author, at + timedelta(hours=3), incident, str(reviewer.id)
            )
    if not pm.reviewers:
        return
    service.submit(session, author, at + timedelta(hours=4), incident)
    if not review.publish:
        return
    for index, named in enumerate(pm.reviewers):
        service.review(
            session,
            principal_of(named.user),
            at + timedelta(hours=20 + index),
            incident,
            decision="approved",
            comment="Clear, and the action items have owners and dates.",
        )
    service.publish(session, author, at + timedelta(days=1, hours=1), incident)


def _written(plan: Plan, body: str, written: dict[str, str]) -> str:
    """The draft with the team's text in place of each section's prompt."""
    headings = {s.heading: s.key for s in plan.postmortem.sections}
    out: list[str] = []
    key: str | None = None
    for line in body.splitlines():
        if line.startswith("## "):
            key = headings.get(line[3:].strip())
            if out and out[-1] != "":
                out.append("")
            out.append(line)
            if key in written:
                out += ["", written[key]]
            continue
        if key in written or line.startswith(f"> {PROMPT_MARK}"):
            continue
        out.append(line)
    return "\n".join(out).rstrip() + "\n"
