"""The demo's obligation clocks: running, partly submitted, timers queued, seeded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.incidents import service as incidents
from fireline.incidents.demo import principal_of
from fireline.people import service as people
from fireline.plan import default_plan
from fireline.security.evidence.store import EvidenceStore
from fireline.security.obligations import summary, tracking
from fireline.security.obligations.clocks import State
from fireline.security.obligations.demo import seed_obligations
from fireline.security.obligations.models import IncidentObligation


def test_the_demo_leaves_clocks_running_on_both_incidents(
    db: Database, clock: FixedClock, settings: Settings
) -> None:
    plan, now = default_plan(), clock.now()
    with db.transaction() as session:
        users = {
            email: people.create_user(
                session, actor=Actor.system("tests"), now=now, email=email, name=name, role=role
            )
            for email, name, role in (
                ("sam@demo.fireline.dev", "Sam Secure", "responder"),
                ("grace@demo.fireline.dev", "Grace Hopper", "manager"),
            )
        }
        sam = principal_of(users["sam@demo.fireline.dev"])
        declared = {}
        for key, type_, ago in (
            ("leaked_key", "leaked_credential", 5),
            ("ransomware", "ransomware", 30),
        ):
            declared[key], _ = incidents.declare(
                session,
                plan,
                sam,
                now - timedelta(hours=ago),
                incidents.Declaration(title=key, type=type_, severity="SEV2"),
            )
        seed_obligations(session, plan, now, declared, users, settings)
        seed_obligations(session, plan, now, declared, users, settings)  # once only

    with db.session() as session:
        assert len(session.scalars(select(IncidentObligation)).all()) == 3
        leak = {s.row.key: s for s in summary.summaries(session, plan, declared["leaked_key"], now)}
        gdpr = {s.key: s for s in leak["gdpr"].stages}
        assert gdpr["authority"].state is State.open
        assert gdpr["authority"].left is not None
        assert timedelta(hours=60) < gdpr["authority"].left < timedelta(hours=72)
        assert gdpr["data_subjects"].state is State.not_applicable  # high risk answered no

        ransomware = declared["ransomware"]
        nis2 = {
            c.stage.key: c
            for c in tracking.clocks_of(
                plan, tracking.find_attached(session, ransomware, "nis2"), now
            )
        }
        assert nis2["early_warning"].state is State.submitted
        assert nis2["notification"].state is State.open
        dora_row = tracking.find_attached(session, ransomware, "dora")
        dora = {c.stage.key: c for c in tracking.clocks_of(plan, dora_row, now)}
        assert dora["initial"].state is State.submitted
        assert dora["intermediate"].state is State.open

        [early] = tracking.find_attached(session, ransomware, "nis2").submissions
        assert early.document is not None and early.reference == "BSI-MIP-2026-04417"
        assert EvidenceStore(settings.evidence_dir).verify(early.document.sha256) is None

        reminders = session.scalars(select(Job).where(Job.kind == "obligation.remind")).all()
        running_to = {job.payload["deadline"] for job in reminders if job.due_at > now}
        assert gdpr["authority"].due_at is not None
        assert gdpr["authority"].due_at.isoformat() in running_to
        assert nis2["notification"].due_at is not None
        assert nis2["notification"].due_at.isoformat() in running_to
