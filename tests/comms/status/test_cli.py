"""`fireline status` and `fireline maintenance` against a running server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from fireline.cli import main
from tests.conftest import LiveServer, Persona

STATUS = "/api/v1/status"


class Terminal:
    """The CLI as one persona runs it, and the server as a manager sees it."""

    def __init__(self, server: LiveServer, personas: dict[str, Persona], home: Path) -> None:
        self.server, self.personas, self.home = server, personas, home
        self.runner = CliRunner()

    def run(self, *args: str, persona: str = "responder") -> Result:
        env = {
            "FIRELINE_URL": self.server.url,
            "FIRELINE_TOKEN": self.personas[persona].token or "",
            "XDG_CONFIG_HOME": str(self.home),
        }
        return self.runner.invoke(main, list(args), env=env)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, self.server.url + path, json=body, headers=self.personas["manager"].headers
        )
        assert response.status_code < 300, response.text
        return response.json()

    def statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for c in self.api("GET", f"{STATUS}/components")}


@pytest.fixture
def terminal(live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path) -> Terminal:
    term = Terminal(live_server, personas, tmp_path)
    term.api("POST", f"{STATUS}/groups", {"name": "Core"})
    term.api("POST", f"{STATUS}/components", {"name": "API / EU", "group": "Core"})
    term.api("POST", f"{STATUS}/components", {"name": "Web"})
    return term


def test_component_list_and_set(terminal: Terminal) -> None:
    table = terminal.run("status", "component", "list", persona="viewer")
    assert table.exit_code == 0, table.output
    assert "API / EU  operational  Core" in table.output and "Web" in table.output
    listed = json.loads(terminal.run("status", "component", "list", "--json").output)
    assert [(c["name"], c["group"]["name"] if c["group"] else None) for c in listed] == [
        ("API / EU", "Core"),
        ("Web", None),
    ]

    done = terminal.run("status", "component", "set", "api / eu", "partial_outage")
    assert done.exit_code == 0 and "API / EU is now partial_outage" in done.output
    assert terminal.statuses() == {"API / EU": "partial_outage", "Web": "operational"}

    bad = terminal.run("status", "component", "set", "Web", "on_fire")
    assert bad.exit_code == 2 and "STATUS" in bad.output
    unknown = terminal.run("status", "component", "set", "Mobile", "major_outage")
    assert unknown.exit_code == 1 and "no component 'Mobile'" in unknown.output
    refused = terminal.run("status", "component", "set", "Web", "major_outage", persona="viewer")
    assert refused.exit_code == 1 and "needs the responder role" in refused.output
    assert terminal.statuses()["Web"] == "operational"


def test_open_update_and_resolve_a_public_incident(terminal: Terminal) -> None:
    opened = terminal.run(
        "status",
        "incident",
        "open",
        "Slow checkout",
        "We are looking into it.",
        "--impact",
        "major",
        "--component",
        "Web=degraded_performance",
        "--json",
    )
    assert opened.exit_code == 0, opened.output
    public = json.loads(opened.output)
    assert public["impact"] == "major" and terminal.statuses()["Web"] == "degraded_performance"

    quiet = terminal.run("status", "update", public["id"], "Still looking.", "--no-notify")
    assert quiet.exit_code == 0 and f"{public['id']}  investigating  Slow checkout" in quiet.output
    done = terminal.run("status", "update", public["id"], "Fixed.", "--status", "resolved")
    assert done.exit_code == 0 and "resolved" in done.output
    assert terminal.statuses() == {"API / EU": "operational", "Web": "operational"}
    shown = terminal.api("GET", f"{STATUS}/incidents/{public['id']}")
    assert [u["notify_subscribers"] for u in shown["updates"]] == [True, False, True]

    again = terminal.run("status", "update", public["id"], "One more thing.")
    assert again.exit_code == 1 and "open a new one instead" in again.output


def test_update_publishes_from_an_internal_incident(terminal: Terminal) -> None:
    incident = terminal.api(
        "POST", "/api/v1/incidents", {"title": "Payments down", "type": "outage", "severity": "1"}
    )
    ref = incident["ref"]
    posted = terminal.run(
        "status",
        "update",
        ref.lower(),
        "Payments are failing.",
        "--component",
        "API / EU=major_outage",
        "--no-notify",
    )
    assert posted.exit_code == 0, posted.output
    assert f"Payments down  (from {ref})" in posted.output and "major_outage" in posted.output
    [public] = terminal.api("GET", f"{STATUS}/incidents?open=true")
    assert public["incident"] == ref
    by_number = terminal.run(
        "status", "update", str(incident["id"]), "Fixed.", "--status", "resolved"
    )
    assert by_number.exit_code == 0 and terminal.statuses()["API / EU"] == "operational"

    missing = terminal.run("status", "update", "INC-999", "Hello.")
    assert missing.exit_code == 1 and "no incident INC-999" in missing.output
    unknown = terminal.run("status", "update", ref, "x", "--component", "Mobile=major_outage")
    assert unknown.exit_code == 1 and "no component 'Mobile'" in unknown.output
    assert len(terminal.api("GET", f"{STATUS}/incidents")) == 1


@pytest.mark.parametrize(
    ("option", "message"),
    [("Web", "expected NAME=STATUS"), ("Web=on_fire", "'on_fire' is not one of")],
)
def test_bad_component_options_are_refused_before_sending(
    terminal: Terminal, option: str, message: str
) -> None:
    result = terminal.run("status", "incident", "open", "Slow", "Looking.", "--component", option)
    assert result.exit_code == 2 and "--component" in result.output and message in result.output
    assert terminal.api("GET", f"{STATUS}/incidents") == []


def test_schedule_maintenance(terminal: Terminal) -> None:
    made = terminal.run(
        "maintenance",
        "schedule",
        "Database upgrade",
        "--start",
        "2026-03-03T01:00",
        "--end",
        "2026-03-03T03:00+01:00",
        "--component",
        "API / EU",
        "--component",
        "Web",
        "--message",
        "PostgreSQL 17.",
    )
    assert made.exit_code == 0, made.output
    assert "components API / EU, Web" in made.output
    [maintenance] = terminal.api("GET", f"{STATUS}/incidents?kind=maintenance")
    # Without an offset a time is UTC; with one it is converted.
    assert maintenance["scheduled_for"].startswith("2026-03-03T01:00:00")
    assert maintenance["scheduled_until"].startswith("2026-03-03T02:00:00")

    for args, option in (
        (["--start", "tomorrow", "--end", "2026-03-03T02:00"], "--start"),
        (["--start", "2026-03-03T02:00", "--end", "2026-03-03T01:00"], "--end"),
    ):
        bad = terminal.run(
            "maintenance", "schedule", "X", *args, "--component", "Web", "--message", "m"
        )
        assert bad.exit_code == 2 and option in bad.output, bad.output
    refused = terminal.run(
        "maintenance",
        "schedule",
        "X",
        "--start",
        "2026-03-03T01:00",
        "--end",
        "2026-03-03T02:00",
        "--component",
        "Mobile",
        "--message",
        "m",
    )
    assert refused.exit_code == 1 and "no component 'Mobile'" in refused.output
    assert len(terminal.api("GET", f"{STATUS}/incidents")) == 1
