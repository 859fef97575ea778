"""`fireline playbook` against a running server, and `validate` offline."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from fireline.cli import main
from tests.conftest import LiveServer, Persona, shared_dir
from tests.playbooks.test_pages import NEW


def test_list_show_import_export(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["admin"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    listed = runner.invoke(main, ["playbook", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert {"ransomware", "ddos"} <= {row["key"] for row in json.loads(listed.output)}

    shown = runner.invoke(main, ["playbook", "show", "ransomware"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "2. Isolate affected hosts from the network  [containment]" in shown.output
    assert "approval: incident_commander, legal" in shown.output
    assert "automated: POST edr/api/hosts/isolate" in shown.output

    file = tmp_path / "lost-laptop.yaml"
    file.write_text(NEW)
    imported = runner.invoke(main, ["playbook", "import", str(file)], env=env)
    assert imported.exit_code == 0 and "stored lost-laptop (1 steps, from yaml)" in imported.output
    exported = runner.invoke(main, ["playbook", "export", "lost-laptop"], env=env)
    assert exported.exit_code == 0, exported.output
    assert yaml.safe_load(exported.output) == yaml.safe_load(NEW)

    missing = runner.invoke(main, ["playbook", "show", "nope"], env=env)
    assert missing.exit_code == 1 and "no playbook 'nope'" in missing.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW.replace("phase: containment", "phase: lunch"))
    refused = runner.invoke(main, ["playbook", "import", str(bad)], env=env)
    assert refused.exit_code == 1 and "line 7" in refused.output


def test_cacao_round_trip_and_a_foreign_playbook_through_the_cli(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["admin"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    exported = runner.invoke(main, ["playbook", "export", "phishing", "--format", "cacao"], env=env)
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    assert document["type"] == "playbook" and document["spec_version"] == "cacao-2.0"
    file = tmp_path / "phishing.json"
    file.write_text(exported.output)
    before = runner.invoke(main, ["playbook", "export", "phishing"], env=env).output
    imported = runner.invoke(main, ["playbook", "import", str(file)], env=env)
    assert imported.exit_code == 0, imported.output
    assert "stored phishing (6 steps, from cacao)" in imported.output
    assert runner.invoke(main, ["playbook", "export", "phishing"], env=env).output == before

    example = shared_dir("cacao-2.0-examples") / "basic-example-1.json"
    untyped = runner.invoke(main, ["playbook", "import", str(example)], env=env)
    assert untyped.exit_code == 1 and "which incident types" in untyped.output
    typed = runner.invoke(main, ["playbook", "import", str(example), "--type", "phishing"], env=env)
    assert typed.exit_code == 0, typed.output
    assert "from cacao" in typed.output and "note:" in typed.output


def test_validate_works_offline_with_positions(tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text(NEW)
    ok = runner.invoke(main, ["playbook", "validate", str(good)], env={"FIRELINE_PLAN": ""})
    assert ok.exit_code == 0 and "valid (lost-laptop, 1 steps, yaml)" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW.replace("title: Wipe it remotely", "titel: Wipe it remotely"))
    failed = runner.invoke(main, ["playbook", "validate", str(bad)], env={"FIRELINE_PLAN": ""})
    assert failed.exit_code == 1
    assert f"{bad}:6:5: steps[0].titel: unknown key 'titel'; did you mean 'title'?" in failed.output
    example = shared_dir("cacao-2.0-examples") / "spec-3.1-example.json"
    untyped = runner.invoke(main, ["playbook", "validate", str(example)], env={"FIRELINE_PLAN": ""})
    assert untyped.exit_code == 1 and "which incident types" in untyped.output
    cacao = runner.invoke(
        main,
        ["playbook", "validate", str(example), "--type", "phishing"],
        env={"FIRELINE_PLAN": ""},
    )
    assert cacao.exit_code == 0, cacao.output
    assert ", cacao)" in cacao.output and "note:" in cacao.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "playbook",')
    refused = runner.invoke(main, ["playbook", "validate", str(broken)], env={"FIRELINE_PLAN": ""})
    assert refused.exit_code == 1 and "not valid JSON" in refused.output
