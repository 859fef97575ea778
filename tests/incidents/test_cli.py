"""`fireline incident` against a running server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fireline.cli import main
from tests.conftest import LiveServer, Persona


def test_declare_list_show_update_resolve(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["responder"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    manager = {**env, "FIRELINE_TOKEN": personas["manager"].token or ""}
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["incident", "declare", "Checkout failing", "--sev", "2", "--type", "outage", "--json"],
        env=env,
    )
    assert made.exit_code == 0, made.output
    ref = json.loads(made.output)["ref"]
    assert ref.startswith("INC-")

    table = runner.invoke(main, ["incident", "list"], env=env)
    assert ref in table.output and "Checkout failing" in table.output
    listed = json.loads(runner.invoke(main, ["incident", "list", "--json"], env=manager).output)
    assert [i["ref"] for i in listed] == [ref]

    assert (
        "is now investigating"
        in runner.invoke(main, ["incident", "status", ref, "investigating"], env=env).output
    )
    assert (
        "is now SEV1"
        in runner.invoke(
            main, ["incident", "sev", ref, "1", "--reason", "spreading"], env=env
        ).output
    )
    assigned = runner.invoke(
        main, ["incident", "assign", ref, "scribe", "viewer@example.com"], env=env
    )
    assert "scribe is Viewer" in assigned.output
    retype = ["incident", "type", ref, "degradation", "--reason", "only the EU region"]
    assert "is now degradation, investigating" in runner.invoke(main, retype, env=env).output
    to_security = ["incident", "type", ref, "ddos", "--reason", "a flood", "--status", "nowhere"]
    refused_type = runner.invoke(main, to_security, env=env)
    assert refused_type.exit_code == 1 and "open states" in refused_type.output
    assert runner.invoke(main, ["incident", "note", ref, "Rolled back 4.2"], env=env).exit_code == 0
    refused = runner.invoke(main, ["incident", "status", ref, "closed"], env=env)
    assert refused.exit_code == 1 and "allowed states are" in refused.output
    assert "is now resolved" in runner.invoke(main, ["incident", "resolve", ref], env=env).output

    shown = runner.invoke(main, ["incident", "show", ref], env=env).output
    assert f"{ref}  SEV1  resolved  Checkout failing" in shown and "scribe" in shown
    data = json.loads(runner.invoke(main, ["incident", "show", ref, "--json"], env=env).output)
    assert data["milestones"]["resolved"] is not None

    security = runner.invoke(
        main,
        ["incident", "declare", "Phish", "--sev", "3", "--type", "phishing", "--json"],
        env=env,
    )
    sec_ref = json.loads(security.output)["ref"]
    early = runner.invoke(main, ["incident", "resolve", sec_ref], env=env)
    assert early.exit_code == 0 and "post_incident" in early.output
