"""The demo observables: both incidents get theirs, and one address links them."""

from __future__ import annotations

import json
from datetime import timedelta

from stix2validator import ValidationOptions, validate_string

from fireline.core.audit import Actor, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.incidents import service as incidents
from fireline.incidents.demo import principal_of
from fireline.people import service as people
from fireline.plan import default_plan
from fireline.security.observables import exchange, service
from fireline.security.observables.demo import SHARED_ADDRESS, seed_observables
from fireline.security.observables.sightings import sightings


def test_seed_observables_for_both_demo_incidents(db: Database, clock: FixedClock) -> None:
    now, plan = clock.now(), default_plan()
    with db.transaction() as session:
        users = {
            email: people.create_user(
                session,
                actor=Actor.system("tests"),
                now=now,
                email=email,
                name=name,
                role=role,
            )
            for email, name, role in (
                ("admin@demo.fireline.dev", "Ada Admin", "admin"),
                ("sam@demo.fireline.dev", "Sam Secure", "responder"),
                ("linus@demo.fireline.dev", "Linus Ops", "responder"),
            )
        }
        sam = principal_of(users["sam@demo.fireline.dev"])
        found = {}
        for key, type_, hours in (
            ("leaked_key", "leaked_credential", 5),
            ("ransomware", "ransomware", 30),
        ):
            declaration = incidents.Declaration(title=key, type=type_, severity="SEV2")
            found[key], _ = incidents.declare(
                session, plan, sam, now - timedelta(hours=hours), declaration
            )
        seed_observables(session, plan, now, found, users)

    with db.transaction() as session:
        leak, ransom = (session.merge(found[k]) for k in ("leaked_key", "ransomware"))
        leak_rows = service.observables_of(session, leak)
        ransom_rows = service.observables_of(session, ransom)
        assert len(leak_rows) == 5 and len(ransom_rows) == 11
        assert {o.tlp for o in ransom_rows} == {"CLEAR", "GREEN", "AMBER", "RED"}
        assert all(o.added_at <= now and (o.first_seen or now) <= now for o in ransom_rows)
        admin = principal_of(users["admin@demo.fireline.dev"])
        shared = sightings(session, admin, leak)
        [address] = [o for o in leak_rows if o.id in shared]
        assert address.value == SHARED_ADDRESS and shared[address.id][0].ref == ransom.ref
        assert [s.ref for seen in sightings(session, admin, ransom).values() for s in seen] == [
            leak.ref
        ]
        tags = [t.technique for t in service.techniques_of(session, ransom)]
        assert "T1486" in tags and "T1566.001" in tags
        assert "T1552.001" in [t.technique for t in service.techniques_of(session, leak)]
        bundle = exchange.export_bundle(session, ransom, now, ceiling="RED")
        assert validate_string(json.dumps(bundle), ValidationOptions(version="2.1")).is_valid
        assert verify(session).ok
