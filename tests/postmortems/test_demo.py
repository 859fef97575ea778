"""The demo's post-mortems: published reviews written by the team, one in
review, action items open, closed and overdue; seeding twice changes nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from fireline.core.audit import Actor, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.deps import principal_of
from fireline.demo import _seed_organisation
from fireline.incidents.demo import seed_incidents
from fireline.incidents.models import ActionItem
from fireline.people.models import User
from fireline.plan import default_plan
from fireline.postmortems import actions
from fireline.postmortems.demo import seed_postmortems
from fireline.postmortems.models import PostMortem
from fireline.postmortems.template import PROMPT_MARK


def test_demo_post_mortems_are_seeded_once(db: Database, clock: FixedClock) -> None:
    plan, now = default_plan(), clock.now()
    with db.transaction() as session:
        _seed_organisation(session, actor=Actor.system("tests"), now=now, password="x" * 12)
        users = {u.email: u for u in session.scalars(select(User))}
        seed_incidents(session, plan, now, users)
        seed_postmortems(session, plan, now)
    with db.transaction() as session:
        seed_postmortems(session, plan, now)  # again: nothing new
    with db.session() as session:
        found = {pm.title: pm for pm in session.scalars(select(PostMortem))}
        assert sorted(pm.status for pm in found.values()) == ["in_review", "published", "published"]
        checkout = next(pm for t, pm in found.items() if "Checkout returns 502" in t)
        assert "SHA-1" in checkout.body and PROMPT_MARK not in checkout.body
        assert "| Time (UTC) | Event |" in checkout.body  # the drafted timeline stays
        assert all(r.decision == "approved" for r in checkout.reviewers)
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 8
        admin = next(u for u in users.values() if u.role == "admin")
        board = actions.board(
            session,
            principal_of(admin, "tests"),
            ZoneInfo("UTC"),
            now,
            actions.BoardFilter(overdue=True),
        )
        assert sorted(item.title for item, _ in board) == [
            "Raise the pooler health-check timeout above a restart's duration",
            "Test against the processor's real certificate chain in CI",
        ]
        rate = actions.closure(session, principal_of(admin, "tests"), ZoneInfo("UTC"), now)
        assert (rate.on_time, rate.late) == (2, 3)
        assert verify(session).ok
