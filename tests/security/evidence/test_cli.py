"""`fireline evidence` against a real server: files stream up, trails print,
verify exits non-zero when a file changed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from fireline.cli import main
from fireline.core.config import Settings
from fireline.security.evidence.store import EvidenceStore
from tests.conftest import LiveServer, Persona
from tests.security.evidence.conftest import declare_security_incident


def run(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def env_for(server: LiveServer, persona: Persona, tmp_path: Path) -> dict[str, str]:
    return {
        "FIRELINE_URL": server.url,
        "FIRELINE_TOKEN": persona.token or "",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def test_add_list_custody_verify_and_download(
    live_server: LiveServer,
    client: TestClient,
    personas: dict[str, Persona],
    settings: Settings,
    tmp_path: Path,
) -> None:
    ref = declare_security_incident(client, personas)
    env = env_for(live_server, personas["responder"], tmp_path)
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # a few chunks, not a multiple of one

    added = run(
        [
            "evidence", "add", ref, "--file", str(image), "--type", "disk image",
            "--source", "host=lt-0917", "--source", "serial=PF-3XYZ",
            "--collected-at", "2026-03-02T08:30:00", "--tz", "Europe/Berlin",
            "--tool", "dd", "--tool-version", "9.4", "--location", "Safe 1",
            "--legal-hold", "--retain-until", "2030-12-31", "--md5", "--sha1",
        ],
        env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    assert f"sha256  {digest}" in added.output
    assert f"md5     {hashlib.md5(image.read_bytes()).hexdigest()}" in added.output
    item_ref = added.output.split()[0]

    described = run(
        ["evidence", "add", ref, "--describe", "Laptop in locker 4", "--type", "laptop",
         "--label", "laptop-4", "--hash", "sha256:" + "ab" * 32, "--json"],
        env,
    )  # fmt: skip
    assert described.exit_code == 0, described.output
    laptop = json.loads(described.output)
    assert laptop["label"] == "laptop-4" and laptop["hashes"]["sha256"] == "ab" * 32
    assert run(["evidence", "add", ref], env).exit_code == 2  # neither --file nor --describe

    listed = run(["evidence", "list", ref], env)
    assert "laptop-4" in listed.output and "disk.img" in listed.output
    rows = json.loads(run(["evidence", "list", ref, "--json"], env).output)
    [image_item] = [i for i in rows["items"] if i["ref"] == item_ref]
    assert image_item["source"] == {
        "host": "lt-0917",
        "serial": "PF-3XYZ",
        "account": "",
        "cloud": "",
    }
    assert image_item["collected_at"] == "2026-03-02T07:30:00Z" and image_item["legal_hold"]

    moved = run(
        ["evidence", "custody", item_ref, "--kind", "transferred", "--to", "Kim Counsel",
         "--location", "Counsel's safe", "--purpose", "court filing"],
        env,
    )  # fmt: skip
    assert moved.exit_code == 0 and "#2 transferred recorded" in moved.output
    refused = run(["evidence", "custody", item_ref, "--kind", "checked_in"], env)
    assert refused.exit_code == 1 and "not checked out" in refused.output
    by_label = run(["evidence", "custody", "laptop-4", "--incident", ref], env)
    assert "#1   " in by_label.output and "collected" in by_label.output
    trail = run(["evidence", "custody", item_ref], env).output
    assert (
        "transferred  by Responder (Responder -> Kim Counsel) @ Counsel's safe: court filing"
        in trail
    )
    assert "[computed hash ok]" in trail

    fine = run(["evidence", "verify"], env)
    assert fine.exit_code == 0 and "1 file(s) checked, 0 no longer match" in fine.output

    target = tmp_path / "copy.img"
    fetched = run(["evidence", "download", item_ref, "-o", str(target)], env)
    assert fetched.exit_code == 0, fetched.output
    assert target.read_bytes() == image.read_bytes() and "checked" in fetched.output

    stored = EvidenceStore(settings.evidence_dir).path_of(digest)
    os.chmod(stored, 0o640)
    stored.write_bytes(b"tampered")
    broken = run(["evidence", "verify", "--incident", ref], env)
    assert broken.exit_code == 1
    assert f"{item_ref} (E1, {ref}): changed: now hashes to" in broken.output
    refused_download = run(["evidence", "download", item_ref, "-o", str(tmp_path / "x")], env)
    assert refused_download.exit_code == 1 and "is not served" in refused_download.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()

    viewer = env_for(live_server, personas["viewer"], tmp_path)
    counted = run(["evidence", "list", ref], viewer)
    assert counted.exit_code == 0
    assert f"{ref} has 2 evidence item(s); only admins, Responder (Security lead) may see them" in (
        counted.output
    )
