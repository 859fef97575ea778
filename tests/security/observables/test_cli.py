"""`fireline observable` and `fireline stix` against a running server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fireline.cli import main
from tests.conftest import LiveServer, Persona


def test_add_list_export_and_import(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["responder"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    def declare(title: str) -> str:
        made = run(
            "incident", "declare", title, "--sev", "2", "--type", "leaked_credential", "--json"
        )
        ref: str = json.loads(made)["ref"]
        return ref

    source, target = declare("Leaked key"), declare("Second look")
    added = run(
        "observable",
        "add",
        source,
        "--type",
        "ipv4-addr",
        "--value",
        "203.0.113.7",
        "--tlp",
        "green",
        "--technique",
        "T1078.004",
        "--technique",
        "T1552.001",
    )
    assert added.strip() == f"{source}: added ipv4-addr 203.0.113.7 (TLP:GREEN)"
    run("observable", "add", source, "--type", "file", "--hash", "sha256", "--value", "a" * 64)
    run(
        "observable",
        "add",
        source,
        "--type",
        "domain-name",
        "--value",
        "secret.example",
        "--tlp",
        "RED",
    )
    again = run("observable", "add", source, "--type", "ipv4-addr", "--value", "203.0.113.7")
    assert "already has ipv4-addr 203.0.113.7" in again

    table = run("observable", "list", source)
    assert "file SHA-256" in table and "T1078.004,T1552.001" in table and "GREEN" in table
    rows = json.loads(run("observable", "list", source, "--json"))
    assert sorted(r["value"] for r in rows) == ["203.0.113.7", "a" * 64, "secret.example"]

    bundle = json.loads(run("stix", "export", source))
    assert bundle["type"] == "bundle"
    assert "secret.example" not in {o.get("value") for o in bundle["objects"]}  # RED > AMBER
    red = run("stix", "export", source, "--tlp", "RED")
    path = tmp_path / "bundle.json"
    path.write_text(red)
    imported = run("stix", "import", str(path), "--incident", target)
    assert imported.splitlines()[0] == (
        f"{target}: 3 added, 0 updated, 0 already there, 0 techniques tagged, 0 skipped"
    )
    assert "added    ipv4-addr 203.0.113.7 (TLP:GREEN)" in imported
    assert source in run("observable", "list", target)  # the sighting

    first = json.loads(run("observable", "list", target, "--json"))[0]
    removed = run("observable", "remove", target, str(first["id"]), "--reason", "duplicate")
    assert removed.strip() == f"{target}: removed observable {first['id']}"
    assert len(json.loads(run("observable", "list", target, "--json"))) == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "bundle", "objects": [{"type": "x"}]}')
    refused = runner.invoke(main, ["stix", "import", str(broken), "--incident", target], env=env)
    assert refused.exit_code == 1 and "objects[0].id" in refused.output
    bad = runner.invoke(
        main, ["observable", "add", target, "--type", "ipv4-addr", "--value", "300.1.1.1"], env=env
    )
    assert bad.exit_code == 1 and "not an IPV4 address" in bad.output
