"""Built-in playbooks, reading playbook YAML with positions, and which playbooks a plan gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fireline.core.db import Database
from fireline.plan import PlanError, default_plan, load_plan_text
from fireline.playbooks import library
from fireline.playbooks.models import StoredPlaybook
from fireline.playbooks.progress import applies

GOOD = """key: lost-laptop
name: Lost laptop
types: [data_exfiltration]
steps:
  - key: wipe
    title: Wipe it remotely
    phase: containment
    owner_role: operations_lead
"""


def test_every_builtin_playbook_fits_the_default_plan_and_covers_the_seeds() -> None:
    plan = default_plan()
    builtin = library.builtin_playbooks()
    assert {p.key for p in builtin} == {
        "leaked-credential",
        "ransomware",
        "insider-exfiltration",
        "phishing",
        "service-outage",
        "ddos",
    }
    for playbook in builtin:
        assert library.problems_in(plan, playbook) == [], playbook.key
        assert len(playbook.steps) >= 5, playbook.key
        # Concrete steps: each says what to do, none is a placeholder.
        for step in playbook.steps:
            assert len(step.instructions) > 80, (playbook.key, step.key)
            assert "TODO" not in step.instructions and "TBD" not in step.instructions
    assert applies(next(p for p in builtin if p.key == "ransomware"), "ransomware", "SEV1")


def test_a_playbook_reads_with_line_numbered_problems() -> None:
    plan = default_plan()
    assert library.load_playbook_text(GOOD, plan).steps[0].owner_role == "operations_lead"
    with pytest.raises(PlanError) as typo:
        library.load_playbook_text(GOOD.replace("owner_role", "owner_rol"), plan)
    [problem] = typo.value.problems
    assert (problem.line, problem.column) == (8, 5)
    assert problem.path == "steps[0].owner_rol"
    assert "did you mean 'owner_role'" in problem.message

    wrong = (
        GOOD.replace("[data_exfiltration]", "[data_exfil]")
        .replace("containment", "contain")
        .replace("operations_lead", "ops")
        + "    after: [later]\n"
    )
    with pytest.raises(PlanError) as crossed:
        library.load_playbook_text(wrong, plan)
    found = {(p.line, p.path): p.message for p in crossed.value.problems}
    assert "did you mean 'data_exfiltration'" in found[(3, "types[0]")]
    assert "unknown phase 'contain'" in found[(7, "steps[0].phase")]
    assert "unknown role 'ops'" in found[(8, "steps[0].owner_role")]
    assert "unknown step 'later'" in found[(9, "steps[0].after[0]")]

    with pytest.raises(PlanError) as broken:
        library.load_playbook_text("key: x\nsteps: [\n", plan)
    assert broken.value.problems[0].message.startswith("not valid YAML")


def test_steps_wait_only_for_earlier_steps() -> None:
    text = (
        GOOD
        + "    after: [notify]\n  - key: notify\n    title: Tell the owner\n    phase: communication\n"
    )
    with pytest.raises(PlanError, match="comes later"):
        library.load_playbook_text(text, default_plan())


def test_a_plan_with_its_own_vocabulary_gets_only_the_builtins_that_fit() -> None:
    plan = load_plan_text(
        """
incident_types:
  - {key: service_outage, name: Outage, category: operational, lifecycle: operational}
roles:
  - {key: incident_commander, name: Commander, single: true}
  - {key: operations_lead, name: Ops}
  - {key: communications_lead, name: Comms}
"""
    )
    fitting = [p.key for p in library.builtin_playbooks() if not library.problems_in(plan, p)]
    assert fitting == ["service-outage"]


def test_plan_playbooks_are_checked_with_their_position_in_the_plan_file() -> None:
    with pytest.raises(PlanError) as error:
        load_plan_text(
            """
playbooks:
  - key: quick
    name: Quick
    types: [service_outage]
    steps:
      - {key: a, title: A, phase: analysis, owner_role: wizard}
"""
        )
    [problem] = error.value.problems
    assert problem.path == "playbooks[0].steps[0].owner_role" and problem.line == 7


def test_a_stored_playbook_is_read_once_for_each_text_and_plan(db: Database) -> None:
    plan = default_plan()
    at = datetime(2026, 3, 2, tzinfo=UTC)
    with db.transaction() as session:
        session.add(StoredPlaybook(key="lost-laptop", source=GOOD, created_at=at, updated_at=at))
    with db.transaction() as session:
        first = library.available(session, plan)["lost-laptop"].playbook
        assert library.available(session, plan)["lost-laptop"].playbook is first
        stored = session.scalars(select(StoredPlaybook)).one()
        stored.source = GOOD.replace("Wipe it remotely", "Lock it, then wipe it")
        session.flush()
        edited = library.available(session, plan)["lost-laptop"].playbook
        assert edited.steps[0].title == "Lock it, then wipe it"
        # A plan without the role the playbook names no longer takes it.
        narrower = plan.model_copy(
            update={"roles": [r for r in plan.roles if r.key != "operations_lead"]}
        )
        assert "lost-laptop" not in library.available(session, narrower)
