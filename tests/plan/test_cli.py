"""``fireline plan validate`` and ``fireline plan show``, and ``serve`` with a bad plan."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fireline.cli import main
from fireline.plan import default_plan, load_plan_file, load_plan_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fireline.yaml"
NO_PLAN = {"FIRELINE_PLAN": ""}


def test_validate_accepts_a_good_plan() -> None:
    result = CliRunner().invoke(main, ["plan", "validate", str(EXAMPLE)])
    assert result.exit_code == 0
    assert result.output == (
        f"{EXAMPLE}: valid (4 severities, 8 incident types, 2 lifecycles, 8 roles)\n"
    )


def test_validate_prints_every_problem_with_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "fireline.yaml"
    bad.write_text(
        "organisation:\n"
        "  name: Acme\n"
        "  time_zon: Europe/Berlin\n"
        "severities:\n"
        "  - {key: SEV1, name: Down, response: 15m, resolution: 1h}\n"
        "  - {key: SEV2, name: Slow, response: soon, resolution: 4h}\n"
        "classification: {questions: []}\n"
    )
    result = CliRunner().invoke(main, ["plan", "validate", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:3:3: organisation.time_zon: unknown key 'time_zon'; did you mean 'time_zone'?",
        f"{bad}:6:39: severities[1].response: expected a duration like 15m, 4h, 1d,"
        ' "next business day" or "best effort"',
    ]


def test_validate_reports_yaml_syntax_and_missing_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("organisation: {name: Acme\nroles: []\n")
    result = CliRunner().invoke(main, ["plan", "validate", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{broken}:2:6: not valid YAML:")
    missing = CliRunner().invoke(main, ["plan", "validate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "none.yaml:1:1: cannot read the plan" in missing.stderr


def test_show_prints_the_defaults_without_a_plan_file() -> None:
    result = CliRunner().invoke(main, ["plan", "show"], env=NO_PLAN)
    assert result.exit_code == 0
    assert result.output.startswith("# effective plan: built-in defaults\n")
    # What show prints is itself a plan file that gives the same plan.
    assert load_plan_text(result.output) == default_plan()
    as_json = CliRunner().invoke(main, ["plan", "show", "--json"], env=NO_PLAN)
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert [(s["key"], s["response"], s["resolution"]) for s in data["severities"]] == [
        ("SEV1", "15m", "1h"),
        ("SEV2", "30m", "4h"),
        ("SEV3", "4h", "next business day"),
        ("SEV4", "next business day", "best effort"),
    ]
    assert data["business_hours"]["start"] == "09:00"


def test_show_prints_the_plan_file_in_effect(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "show"], env={"FIRELINE_PLAN": str(EXAMPLE)})
    assert result.exit_code == 0
    assert result.output.startswith(f"# effective plan: {EXAMPLE}\n")
    shown = tmp_path / "shown.yaml"
    shown.write_text(result.output)
    assert load_plan_file(shown) == load_plan_file(EXAMPLE)


def test_show_refuses_an_invalid_plan_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: {name: A, colour: red}\n")
    result = CliRunner().invoke(main, ["plan", "show"], env={"FIRELINE_PLAN": str(bad)})
    assert result.exit_code == 1
    assert result.stderr == f"{bad}:1:25: organisation.colour: unknown key 'colour'\n"


def test_serve_refuses_to_start_with_an_invalid_plan(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: {name: A, colour: red}\n")
    env = {"FIRELINE_PLAN": str(bad), "FIRELINE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert f"{bad}:1:25: organisation.colour: unknown key 'colour'" in result.output
