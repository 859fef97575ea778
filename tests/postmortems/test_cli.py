"""`fireline postmortem` and `fireline actions` against a running server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import CliRunner

from fireline.cli import main
from tests.conftest import LiveServer, Persona


def test_draft_show_export_and_list_actions(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["responder"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["incident", "declare", "Checkout failing", "--sev", "1", "--type", "outage", "--json"],
        env=env,
    )
    ref = json.loads(made.output)["ref"]

    drafted = runner.invoke(main, ["postmortem", "draft", ref], env=env)
    assert drafted.exit_code == 0, drafted.output
    assert f"Drafted the post-mortem of {ref}, due 2026-03-09." in drafted.output
    again = runner.invoke(main, ["postmortem", "draft", ref], env=env)
    assert again.exit_code == 1 and "has a post-mortem already" in again.output

    shown = runner.invoke(main, ["postmortem", "show", ref], env=env).output
    assert shown.startswith(f"{ref}  draft  due 2026-03-09  {ref}: Checkout failing")
    assert "## What went well" in shown
    data = json.loads(runner.invoke(main, ["postmortem", "show", ref, "--json"], env=env).output)
    assert data["status"] == "draft"

    md = runner.invoke(main, ["postmortem", "export", ref], env=env)
    assert md.exit_code == 0 and f"# Post-mortem: {ref}: Checkout failing" in md.output
    pdf_file = tmp_path / "pm.pdf"
    pdf = runner.invoke(
        main, ["postmortem", "export", ref, "--format", "pdf", "-o", str(pdf_file)], env=env
    )
    assert pdf.exit_code == 0, pdf.output
    assert pdf_file.read_bytes().startswith(b"%PDF")

    assert runner.invoke(main, ["actions", "list"], env=env).output.strip() == "(none)"
    for title, due in (("Alert on expiry", "2026-02-27"), ("Renewal runbook", "2026-04-01")):
        response = httpx.post(
            f"{live_server.url}/api/v1/incidents/{ref}/action-items",
            json={"title": title, "due_date": due, "owner": personas["responder"].email},
            headers=personas["responder"].headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
    table = runner.invoke(main, ["actions", "list"], env=env).output.splitlines()
    assert table[0].split() == [
        "ID",
        "INCIDENT",
        "TITLE",
        "OWNER",
        "PRIORITY",
        "STATUS",
        "DUE_DATE",
        "OVERDUE",
    ]
    assert "Alert on expiry" in table[1] and table[1].endswith("2026-02-27  True")
    assert "Renewal runbook" in table[2] and table[2].endswith("2026-04-01  False")
    overdue = json.loads(
        runner.invoke(main, ["actions", "list", "--overdue", "--json"], env=env).output
    )
    assert [i["title"] for i in overdue] == ["Alert on expiry"]
    missing = runner.invoke(main, ["postmortem", "show", "INC-999"], env=env)
    assert missing.exit_code == 1 and "no incident INC-999" in missing.output
