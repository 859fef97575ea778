"""`fireline obligations` against a running server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from fireline.cli import main
from tests.conftest import LiveServer
from tests.security.obligations.conftest import Personas, declare


def test_attach_submit_with_a_document_and_list(
    live_server: LiveServer, client: TestClient, personas: Personas, tmp_path: Path
) -> None:
    env = {
        "FIRELINE_URL": live_server.url,
        "FIRELINE_TOKEN": personas["responder"].token or "",
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    runner = CliRunner()
    ref = declare(client, personas["responder"], type="leaked_credential")
    naive = runner.invoke(
        main,
        [
            "obligations",
            "attach",
            ref,
            "gdpr",
            "--reason",
            "keys",
            "--trigger-at",
            "2026-03-02T08:00",
        ],
        env=env,
    )
    assert naive.exit_code == 2 and "add the time zone" in naive.output

    attached = runner.invoke(
        main,
        [
            "obligations",
            "attach",
            ref,
            "gdpr",
            "--reason",
            "the leaked key reads the customer database",
            "--trigger-at",
            "2026-03-02T08:00+01:00",
            "--condition",
            "high_risk=no",
        ],
        env=env,
    )
    assert attached.exit_code == 0, attached.output
    assert "authority        open            due 2026-03-05T07:00:00Z" in attached.output

    listed = runner.invoke(main, ["obligations", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()
    assert header.split() == ["DUE_AT", "LEFT", "STATE", "INCIDENT", "OBLIGATION", "STAGE"]
    assert "2d 22h" in row and ref in row and "Supervisory authority" in row

    notice = tmp_path / "ico-notification.pdf"
    notice.write_bytes(b"%PDF-1.7\nPersonal data breach notification\n")
    submitted = runner.invoke(
        main,
        [
            "obligations",
            "submit",
            ref,
            "gdpr",
            "authority",
            "--to",
            "ICO",
            "--at",
            "2026-03-02T08:45Z",
            "--reference",
            "IC-998877",
            "--document",
            str(notice),
        ],
        env=env,
    )
    assert submitted.exit_code == 0, submitted.output
    digest = hashlib.sha256(notice.read_bytes()).hexdigest()
    assert f"uploaded ico-notification.pdf: sha256 {digest}" in submitted.output
    assert "sent 2026-03-02T08:45:00Z to ICO (IC-998877)" in submitted.output

    as_json = runner.invoke(main, ["obligations", "list", "--json"], env=env)
    assert json.loads(as_json.output) == []
    shown = json.loads(runner.invoke(main, ["obligations", "show", ref, "--json"], env=env).output)
    [gdpr] = shown["obligations"]
    assert gdpr["stages"][0]["submission"]["document"]["sha256"] == digest

    refused = runner.invoke(
        main,
        [
            "obligations",
            "submit",
            ref,
            "gdpr",
            "authority",
            "--to",
            "ICO",
            "--at",
            "2026-03-02T08:50Z",
        ],
        env=env,
    )
    assert refused.exit_code == 1 and "already recorded as submitted" in refused.output
