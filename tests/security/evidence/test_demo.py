"""The demo's evidence: real files in the store, external items, custody trails."""

from __future__ import annotations

from sqlalchemy import select

from fireline.core.audit import Actor
from fireline.core.audit import verify as verify_chain
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.incidents import service as incidents
from fireline.incidents.demo import principal_of
from fireline.people import service as people
from fireline.plan import default_plan
from fireline.security.evidence.demo import SAM, seed_evidence
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.queries import state_of
from fireline.security.evidence.store import EvidenceStore

PEOPLE = {
    SAM: "Sam Secure",
    "grace@demo.fireline.dev": "Grace Hopper",
    "linus@demo.fireline.dev": "Linus Ops",
}


def test_demo_evidence_is_real_and_seeded_once(
    db: Database, clock: FixedClock, settings: Settings
) -> None:
    plan, now = default_plan(), clock.now()
    with db.transaction() as session:
        users = {
            email: people.create_user(
                session, actor=Actor.system("tests"), now=now, email=email, name=name
            )
            for email, name in PEOPLE.items()
        }
        found = {}
        for key, type_ in (("ransomware", "ransomware"), ("leaked_key", "leaked_credential")):
            declared_at = now - clock_hours(30)
            found[key], _ = incidents.declare(
                session,
                plan,
                principal_of(users[SAM]),
                declared_at,
                incidents.Declaration(title=f"Demo {key}", type=type_, severity="SEV2"),
            )
        seed_evidence(session, plan, now, found, users, settings)
        seed_evidence(session, plan, now, found, users, settings)  # once only

    store = EvidenceStore(settings.evidence_dir)
    with db.session() as session:
        items = list(session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)))
        assert len(items) == 7
        uploads = [i for i in items if i.is_upload]
        assert {i.label for i in uploads} == {
            "fs-02-mem", "edr-log", "ransom-note", "github-audit", "s3-access",
        }  # fmt: skip
        assert all(i.sha256 and store.verify(i.sha256) is None for i in uploads)
        assert all(i.sha1 and i.md5 for i in uploads)
        memory = next(i for i in uploads if i.label == "fs-02-mem")
        assert memory.size == 256 * 1024 and memory.legal_hold
        assert [c.kind for c in memory.custody] == [
            "collected",
            "transferred",
            "copied",
            "analysed",
        ]
        assert all(c.hash_matches for c in memory.custody[1:])
        shelf = next(i for i in items if i.label == "fs-02-disk")
        assert [c.kind for c in shelf.custody][-2:] == ["checked_out", "checked_in"]
        assert state_of(shelf) is not None and state_of(shelf).custodian == "Sam Secure"  # type: ignore[union-attr]
        laptop = next(i for i in items if i.label == "laptop-0917")
        assert laptop.collected_tz == "Europe/London" and laptop.retain_until is not None
        assert all(c.occurred_at <= now for i in items for c in i.custody)
        assert verify_chain(session).ok


def clock_hours(hours: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(hours=hours)
