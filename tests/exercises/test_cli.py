"""`fireline exercise` against a running server, and `validate` offline."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fireline.cli import main
from tests.conftest import LiveServer, Persona
from tests.exercises.test_scenarios import GOOD


def test_list_run_and_report(
    live_server: LiveServer, personas: dict[str, Persona], services: list[str], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["manager"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    listed = runner.invoke(main, ["exercise", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert "sev1-checkout-outage" in {s["key"] for s in data["scenarios"]} and data["runs"] == []

    started = runner.invoke(main, ["exercise", "run", "sev1-checkout-outage"], env=env)
    assert started.exit_code == 0, started.output
    assert "[EXERCISE] Checkout returning 503 for all orders" in started.output
    assert "Real notifications: off" in started.output
    run_id = json.loads(runner.invoke(main, ["exercise", "list", "--json"], env=env).output)[
        "runs"
    ][0]["id"]
    text = runner.invoke(main, ["exercise", "list"], env=env)
    assert (
        text.exit_code == 0 and "sev1-checkout-outage" in text.output and "running" in text.output
    )

    report = runner.invoke(main, ["exercise", "report", str(run_id)], env=env)
    assert report.exit_code == 0, report.output
    assert report.output.startswith("# After-action report: [EXERCISE] Checkout returning 503")
    as_json = runner.invoke(main, ["exercise", "report", str(run_id), "--format", "json"], env=env)
    assert json.loads(as_json.output)["response_times"][0]["milestone"] == "acknowledged"
    pdf = tmp_path / "report.pdf"
    printed = runner.invoke(
        main, ["exercise", "report", str(run_id), "--format", "pdf", "-o", str(pdf)], env=env
    )
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    no_file = runner.invoke(main, ["exercise", "report", str(run_id), "--format", "pdf"], env=env)
    assert no_file.exit_code == 2 and "--output" in no_file.output

    missing = runner.invoke(main, ["exercise", "run", "nope"], env=env)
    assert missing.exit_code == 1 and "no scenario 'nope'" in missing.output
    absent = runner.invoke(main, ["exercise", "report", "999999"], env=env)
    assert absent.exit_code == 1 and "no exercise run 999999" in absent.output


def test_validate_offline_and_upload(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["admin"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    good = tmp_path / "lost-laptop.yaml"
    good.write_text(GOOD)
    valid = runner.invoke(main, ["exercise", "validate", str(good)], env=env)
    assert valid.exit_code == 0 and "lost-laptop is valid (2 injects)" in valid.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("severity: SEV3", "severity: SEV7"))
    refused = runner.invoke(main, ["exercise", "validate", str(bad)], env=env)
    assert refused.exit_code == 1 and f"{bad}:7:13: incident.severity" in refused.output
    uploaded = runner.invoke(main, ["exercise", "upload", str(good)], env=env)
    assert uploaded.exit_code == 0 and "stored lost-laptop (2 injects)" in uploaded.output
    shown = runner.invoke(main, ["exercise", "show", "lost-laptop"], env=env)
    assert shown.output == GOOD
