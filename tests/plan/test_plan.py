"""The plan file: schema, defaults, line-and-column errors, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fireline.cli import main
from fireline.plan import PlanError, default_plan, load_plan_file, load_plan_text
from fireline.plan.durations import Duration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fireline.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    return [p.render("plan.yaml") for p in caught.value.problems]


def test_defaults_follow_the_source_documents() -> None:
    plan = default_plan()
    assert [s.key for s in plan.severities] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    sla = {s.key: (str(s.response), str(s.resolution)) for s in plan.severities}
    assert sla == {
        "SEV1": ("15m", "1h"),
        "SEV2": ("30m", "4h"),
        "SEV3": ("4h", "next business day"),
        "SEV4": ("next business day", "best effort"),
    }
    assert {t.key for t in plan.incident_types} == {
        "service_outage",
        "degradation",
        "phishing",
        "ransomware",
        "leaked_credential",
        "data_exfiltration",
        "insider_threat",
    }
    assert plan.lifecycle_of("service_outage").states == [
        "triage",
        "investigating",
        "identified",
        "mitigated",
        "resolved",
        "closed",
    ]
    assert plan.lifecycle_of("ransomware").states == [
        "detection_and_analysis",
        "containment",
        "eradication",
        "recovery",
        "post_incident",
        "closed",
    ]
    assert {r.key for r in plan.roles} == {
        "incident_commander",
        "scribe",
        "communications_lead",
        "operations_lead",
        "security_lead",
        "legal",
        "privacy",
        "hr_liaison",
    }
    assert plan.role("incident_commander").single


def test_the_example_plan_is_valid_and_overrides_sections() -> None:
    plan = load_plan_file(EXAMPLE)
    assert plan.organisation.name == "Acme Payments"
    assert plan.holidays.country == "DE"
    assert plan.business_hours.start.hour == 8
    assert len(plan.roles) == 8  # not in the file: the defaults stay


def test_durations() -> None:
    assert Duration.parse("15m").minutes == 15
    assert Duration.parse("4 hours").minutes == 240
    assert Duration.parse("2d").minutes == 2880
    assert Duration.parse("Next  Business Day").next_business_day
    assert Duration.parse("best effort").best_effort
    assert str(Duration.parse("90m")) == "90m" and str(Duration.parse("120m")) == "2h"


def test_each_problem_is_reported_with_line_and_column() -> None:
    text = (
        "organisation:\n"
        "  name: Acme\n"
        "  time_zone: Mars/Base\n"
        "business_hours:\n"
        "  start: 9:00\n"
        "severities:\n"
        "  - key: SEV1\n"
        "    name: Down\n"
        "    respnse: 15m\n"
        "    resolution: soon\n"
        "colour: red\n"
    )
    found = problems(text)
    assert "plan.yaml:3:14: organisation.time_zone: unknown time zone 'Mars/Base'" in found[0]
    assert any(
        p.startswith("plan.yaml:5:10: business_hours.start: write times in quotes") for p in found
    )
    assert (
        "plan.yaml:9:5: severities[0].respnse: unknown key 'respnse'; did you mean 'response'?"
        in found
    )
    assert any(
        p.startswith("plan.yaml:10:17: severities[0].resolution: expected a duration")
        for p in found
    )
    assert any(
        p.startswith("plan.yaml:7:5: severities[0].response: this key is required") for p in found
    )
    assert "plan.yaml:11:1: colour: unknown key 'colour'" in found


def test_cross_references_are_checked() -> None:
    text = (
        "organisation: {name: Acme}\n"
        "severities:\n"
        "  - {key: SEV1, name: A, response: 1h, resolution: 2h}\n"
        "  - {key: SEV1, name: B, response: 1h, resolution: 2h}\n"
        "incident_types:\n"
        "  - {key: outage, name: Outage, category: operational, lifecycle: nope}\n"
    )
    found = problems(text)
    assert "plan.yaml:4:11: severities[1].key: duplicate key 'SEV1'" in found
    assert any(
        p.startswith("plan.yaml:6:67: incident_types[0].lifecycle: unknown lifecycle 'nope'")
        for p in found
    )


def test_lifecycle_transitions_must_name_states() -> None:
    text = (
        "organisation: {name: Acme}\n"
        "lifecycles:\n"
        "  - key: operational\n"
        "    states: [open, closed]\n"
        "    transitions: {open: [shut]}\n"
    )
    [found] = problems(text)
    assert found.startswith("plan.yaml:3:5: lifecycles[0]: transition names unknown state 'shut'")


def test_yaml_syntax_errors_have_positions() -> None:
    [found] = problems("organisation:\n  name: [Acme\n")
    assert found.startswith("plan.yaml:3:1: not valid YAML")
    [found] = problems("- just\n- a list\n")
    assert "the plan must be a mapping" in found


def test_holiday_country_quirks() -> None:
    found = problems("organisation: {name: A}\nholidays: {country: NO}\n")
    assert 'write the code in quotes, e.g. "NO"' in found[0]
    found = problems("organisation: {name: A}\nholidays: {country: XX}\n")
    assert "no holiday calendar for country 'XX'" in found[0]


def test_cli_validate_and_show(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["plan", "validate", str(EXAMPLE)])
    assert good.exit_code == 0 and "valid (4 severities" in good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("organisation: {name: A}\nseverities: nope\n")
    bad = runner.invoke(main, ["plan", "validate", str(bad_file)])
    assert bad.exit_code == 1
    assert f"{bad_file}:2:13: severities:" in bad.stderr
    missing = runner.invoke(main, ["plan", "validate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "cannot read the plan" in missing.stderr
    shown = runner.invoke(main, ["plan", "show"], env={"FIRELINE_PLAN": str(EXAMPLE)})
    assert (
        shown.exit_code == 0
        and "Acme Payments" in shown.output
        and "next business day" in shown.output
    )
    defaults = runner.invoke(main, ["plan", "show", "--json"], env={"FIRELINE_PLAN": ""})
    assert defaults.exit_code == 0 and '"SEV1"' in defaults.output


def test_serve_refuses_an_invalid_plan(tmp_path: Path) -> None:
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("organisation: {name: A, colour: red}\n")
    env = {"FIRELINE_PLAN": str(bad_file), "FIRELINE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "unknown key 'colour'" in result.output


def test_a_default_section_that_no_longer_fits_says_so() -> None:
    text = (
        "organisation: {name: A}\n"
        "severities:\n"
        "  - {key: SEV1, name: Down, response: 15m, resolution: 1h}\n"
        "  - {key: SEV2, name: Slow, response: 1h, resolution: 1d}\n"
    )
    found = problems(text)
    assert all(
        "in the built-in classification; define classification in your plan" in p for p in found
    )
