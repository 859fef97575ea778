"""Scenarios: the built-in ones fit the default plan; a scenario file is
checked with every problem at its line; admins store scenarios through the
API and stored ones replace built-in ones with the same key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fireline.exercises import library
from fireline.exercises.checks import scenario_problems
from fireline.exercises.schema import parse_offset
from fireline.plan import default_plan
from fireline.plan.loader import PlanError
from tests.conftest import Persona

GOOD = """key: lost-laptop
name: Lost laptop at the airport
kind: tabletop
incident:
  title: Engineer's laptop lost at Frankfurt airport
  type: data_exfiltration
  severity: SEV3
objectives:
  - Wipe the laptop remotely within an hour
injects:
  - key: call
    at: 0m
    message:
      from: facilitator
      text: The engineer calls from the gate.
  - key: disk
    at: 1h30m
    question:
      text: Was the disk encrypted?
      role: security_lead
"""


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PlanError) as caught:
        library.load_scenario_text(text, default_plan())
    return [(p.line, p.message) for p in caught.value.problems]


def test_the_built_in_scenarios_cover_the_seeds_examples_and_fit_the_plan() -> None:
    plan = default_plan()
    found = {s.key: s for s in library.builtin_scenarios()}
    assert set(found) == {
        "api-key-exposure",
        "ransomware-tabletop",
        "insider-exfiltration",
        "sev1-checkout-outage",
    }
    for scenario in found.values():
        assert scenario_problems(plan, scenario) == []
        assert scenario.objectives and len(scenario.injects) >= 5
        kinds = {i.kind for i in scenario.injects}
        assert {"alert", "message"} <= kinds
    assert found["sev1-checkout-outage"].kind == "game_day"
    assert {i.kind for s in found.values() for i in s.injects} == {
        "alert",
        "message",
        "evidence",
        "status",
        "question",
    }


def test_a_good_file_reads_with_its_offsets() -> None:
    scenario = library.load_scenario_text(GOOD, default_plan())
    assert [i.offset for i in scenario.injects] == [timedelta(0), timedelta(minutes=90)]
    assert scenario.duration == timedelta(minutes=90)
    assert library.load_scenario_text(library.to_yaml(scenario), default_plan()) == scenario


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
    ],
)
def test_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "five minutes", "-5m", "8d"])
def test_bad_offsets(text: str) -> None:
    with pytest.raises(ValueError):
        parse_offset(text)


def test_each_problem_is_reported_at_its_line() -> None:
    # The shape first: every schema problem in the file at once.
    shape = GOOD.replace("    at: 1h30m", "    at: soon").replace(
        "      role: security_lead", "      role: security_lead\n      owner: me"
    )
    assert problems(shape) == [
        (17, "'soon' is not an offset: write it like 0m, 5m, 1h or 1h30m"),
        (21, "unknown key 'owner'"),
    ]
    # Then the plan's vocabulary, each at its value.
    words = GOOD.replace("type: data_exfiltration", "type: data_exfil").replace(
        "      from: facilitator", "      from: cfo"
    )
    [(type_line, type_message), (from_line, from_message)] = problems(words)
    assert type_line == 6 and type_message.startswith(
        "unknown incident type 'data_exfil'; did you mean 'data_exfiltration'?"
    )
    assert from_line == 14 and from_message.startswith("unknown role 'cfo'")
    assert "facilitator, incident_commander" in from_message


def test_structure_problems_name_the_line() -> None:
    two_kinds = GOOD.replace(
        "      text: The engineer calls from the gate.\n",
        "      text: The engineer calls from the gate.\n    question:\n      text: Who?\n",
    )
    assert problems(two_kinds) == [
        (
            11,
            "an inject is exactly one of alert, message, evidence, status, question; "
            "this one has message and question",
        )
    ]
    typo = GOOD.replace("objectives:", "objectifs:")
    assert problems(typo) == [(8, "unknown key 'objectifs'; did you mean 'objectives'?")]
    assert problems(GOOD.replace("  - key: disk", "  - key: call")) == [
        (16, "inject 'call' is defined twice")
    ]
    assert problems("key: [")[0][0] == 1
    assert problems("- a list") == [(1, "the plan must be a mapping of sections")]


def test_admins_store_scenarios_that_replace_built_in_ones(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    admin, viewer = personas["admin"].headers, personas["viewer"].headers
    stored = client.post("/api/v1/exercises/scenarios", json={"source": GOOD}, headers=admin)
    assert stored.status_code == 201, stored.text
    assert stored.json()["origin"] == "stored" and stored.json()["duration_minutes"] == 90
    listed = client.get("/api/v1/exercises/scenarios", headers=viewer).json()
    assert "lost-laptop" in {s["key"] for s in listed} and len(listed) == 5
    shown = client.get("/api/v1/exercises/scenarios/lost-laptop", headers=viewer).json()
    assert shown["source"] == GOOD
    refused = client.post("/api/v1/exercises/scenarios", json={"source": GOOD}, headers=viewer)
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/exercises/scenarios",
        json={"source": GOOD.replace("severity: SEV3", "severity: SEV9")},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "source"
    assert bad.json()["error"]["message"].startswith(
        "line 7, column 13: incident.severity: unknown severity 'SEV9'"
    )
    checked = client.post(
        "/api/v1/exercises/scenarios/validate", json={"source": "key: x\n"}, headers=viewer
    ).json()
    assert not checked["valid"] and {p["message"] for p in checked["problems"]} >= {
        "missing required key 'name'",
        "missing required key 'injects'",
    }
    replacing = GOOD.replace("key: lost-laptop", "key: ransomware-tabletop")
    assert (
        client.post(
            "/api/v1/exercises/scenarios", json={"source": replacing}, headers=admin
        ).status_code
        == 201
    )
    origin = client.get("/api/v1/exercises/scenarios/ransomware-tabletop", headers=viewer).json()
    assert origin["origin"] == "stored" and origin["name"] == "Lost laptop at the airport"
    assert (
        client.delete("/api/v1/exercises/scenarios/ransomware-tabletop", headers=admin).status_code
        == 204
    )
    back = client.get("/api/v1/exercises/scenarios/ransomware-tabletop", headers=viewer).json()
    assert back["origin"] == "built-in"
    gone = client.delete("/api/v1/exercises/scenarios/ransomware-tabletop", headers=admin)
    assert gone.status_code == 404 and gone.json()["error"]["field"] == "key"
    too_long = client.post(
        "/api/v1/exercises/scenarios", json={"source": "x" * 200_001}, headers=admin
    )
    assert too_long.status_code == 422
