"""The CLI as a client of a running server, and the commands that work without one."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from fireline import demo
from fireline.cli import main
from fireline.core.audit import verify
from fireline.core.db import Database
from fireline.incidents.models import Incident
from fireline.people import service
from fireline.security.demo import LEAKED_KEY_TITLE, RANSOMWARE_TITLE
from tests.conftest import LiveServer, Persona


def run(args: list[str], env: dict[str, str], input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, env=env, input=input, catch_exceptions=False)


def env_for(server: LiveServer, persona: Persona, tmp_path: Path) -> dict[str, str]:
    return {
        "FIRELINE_URL": server.url,
        "FIRELINE_TOKEN": persona.token or "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def test_user_commands(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    admin = env_for(live_server, personas["admin"], tmp_path)
    result = run(["user", "create", "kim@example.com", "--name", "Kim", "--role", "viewer"], admin)
    assert result.exit_code == 0, result.output
    assert "kim@example.com" in result.output

    listed = run(["user", "list", "--json"], admin)
    rows = json.loads(listed.output)
    assert {"kim@example.com", "admin@example.com"} <= {r["email"] for r in rows}

    result = run(["user", "set-role", "kim@example.com", "manager"], admin)
    assert result.exit_code == 0 and "now manager" in result.output

    viewer = env_for(live_server, personas["viewer"], tmp_path)
    refused = run(["user", "create", "x@example.com", "--name", "X"], viewer)
    assert refused.exit_code == 1
    assert "needs the admin role" in refused.output

    bad = run(["user", "create", "not-an-email", "--name", "X"], admin)
    assert bad.exit_code == 1 and "e-mail" in bad.output


def test_token_commands_and_login(
    live_server: LiveServer, personas: dict[str, Persona], tmp_path: Path
) -> None:
    env = env_for(live_server, personas["responder"], tmp_path)
    created = run(["token", "create", "script"], env)
    assert created.exit_code == 0
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("flt_")

    login_env = {
        "XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"],
        "FIRELINE_URL": "",
        "FIRELINE_TOKEN": "",
    }
    result = run(["login", "--url", live_server.url, "--token", secret], login_env)
    assert result.exit_code == 0, result.output
    config = Path(env["XDG_CONFIG_HOME"]) / "fireline" / "config.json"
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    listed = run(["token", "list", "--json"], login_env)
    rows = json.loads(listed.output)
    token_id = next(r["id"] for r in rows if r["name"] == "script")

    assert run(["token", "revoke", str(token_id)], login_env).exit_code == 0
    after = run(["token", "list"], login_env)
    assert after.exit_code == 1 and "revoked" in after.output


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    env = {
        "FIRELINE_URL": "http://127.0.0.1:9",
        "FIRELINE_TOKEN": "x",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = run(["user", "list"], env)
    assert result.exit_code == 1 and "cannot reach fireline" in result.output


def test_setup_creates_the_first_admin_only_once(database_url: str, tmp_path: Path) -> None:
    env = {"FIRELINE_DATABASE_URL": database_url}
    first = run(["setup", "--email", "root@example.com", "--name", "Root"], env)
    assert first.exit_code == 0, first.output
    assert "export FIRELINE_TOKEN=flt_" in first.output
    again = run(["setup", "--email", "two@example.com", "--name", "Two"], env)
    assert again.exit_code == 1 and "already has users" in again.output
    db = Database(database_url)
    with db.session() as session:
        assert service.find_user(session, "root@example.com").role == "admin"
        assert verify(session).ok
    db.dispose()


def test_demo_seeds_once_and_refreshes_the_token(database_url: str, tmp_path: Path) -> None:
    env = {"FIRELINE_DATABASE_URL": database_url, "FIRELINE_EVIDENCE_DIR": str(tmp_path)}
    first = run(["demo"], env)
    assert first.exit_code == 0, first.output
    assert "admin@demo.fireline.dev" in first.output and "FIRELINE_TOKEN=flt_" in first.output
    second = run(["demo"], env)
    assert "already there" in second.output
    db = Database(database_url)
    with db.session() as session:
        assert service.user_count(session) == len(demo.PEOPLE)
        assert verify(session).ok
        # The security demo: both incidents with their evidence files in the store.
        titles = set(session.scalars(select(Incident.title)))
        assert {LEAKED_KEY_TITLE, RANSOMWARE_TITLE} <= titles
    db.dispose()
    assert any(path.is_file() for path in (tmp_path / "sha256").rglob("*"))
