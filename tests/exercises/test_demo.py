"""The demo's finished ransomware tabletop: injects delivered at their times,
the team's answers, objectives judged, a report; seeded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fireline.catalog import service as catalog
from fireline.core.audit import Actor, verify
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.exercises import report, service
from fireline.exercises.demo import seed_exercises
from fireline.exercises.models import ExerciseRun
from fireline.people import service as people
from fireline.plan import default_plan

PEOPLE = (
    ("grace@demo.fireline.dev", "Grace Hopper", "manager"),
    ("sam@demo.fireline.dev", "Sam Secure", "responder"),
    ("linus@demo.fireline.dev", "Linus Ops", "responder"),
    ("admin@demo.fireline.dev", "Ada Admin", "admin"),
)


def test_the_demo_has_one_finished_exercise_with_its_report(
    db: Database, clock: FixedClock
) -> None:
    plan, now = default_plan(), clock.now()
    with db.transaction() as session:
        for email, name, role in PEOPLE:
            people.create_user(
                session, actor=Actor.system("tests"), now=now, email=email, name=name, role=role
            )
        catalog.create_service(
            session, actor=Actor.system("tests"), now=now, slug="postgres-main", name="Main DB"
        )
        run = seed_exercises(session, plan, now)
        assert run is not None
        assert seed_exercises(session, plan, now) is None  # once only
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ExerciseRun)) == 1
        run = session.scalars(select(ExerciseRun)).one()
        assert run.finished_at is not None and run.finished_at < now - timedelta(days=20)
        assert all(i.delivered_at == i.due_at for i in run.injects)
        built = report.build(plan, service.report_facts(session, run), now)
        assert verify(session).ok
    measures = {m.name: m for m in built.measures}
    assert measures["acknowledged"].after == timedelta(minutes=4)
    assert measures["acknowledged"].status == "met"
    assert measures["mitigated"].after == timedelta(minutes=45)
    assert measures["resolved"].after == timedelta(minutes=85)
    assert measures["resolved"].status == "missed"  # SEV1 from 20m: resolution in 1 h
    assert (built.objectives_met, built.objectives_judged) == (4, 5)
    by_key = {i.key: i for i in built.injects}
    assert by_key["ransom-note"].response_after == timedelta(minutes=2)
    assert by_key["ransom-note"].first_response_by == "Linus Ops"
    assert by_key["press"].response_after == timedelta(minutes=7)
