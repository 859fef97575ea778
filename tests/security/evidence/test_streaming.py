"""Uploads through a real server: what goes wrong mid-stream leaves nothing behind."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient

from fireline.core.config import Settings
from tests.conftest import LiveServer, Persona
from tests.security.evidence.conftest import declare_security_incident

MIB = 1024 * 1024


def generated(megabytes: int) -> Iterator[bytes]:
    for n in range(megabytes):
        yield bytes([n % 251]) * MIB


def incoming(settings: Settings) -> list[Path]:
    folder = settings.evidence_dir / "incoming"
    return list(folder.iterdir()) if folder.exists() else []


def test_a_streamed_upload_of_many_blocks_arrives_whole(
    live_server: LiveServer, client: TestClient, personas: dict[str, Persona], settings: Settings
) -> None:
    ref = declare_security_incident(client, personas)
    lead = personas["responder"]
    with httpx.Client(base_url=live_server.url, headers=lead.headers, timeout=60) as http:
        # Chunked (no Content-Length): counted and hashed as it streams.
        response = http.post(
            f"/api/v1/incidents/{ref}/evidence/upload",
            params={"type": "disk image", "filename": "disk.img", "md5": "true"},
            content=generated(12),
        )
    assert response.status_code == 201, response.text
    whole = b"".join(generated(12))
    assert response.json()["hashes"]["sha256"] == hashlib.sha256(whole).hexdigest()
    assert response.json()["hashes"]["md5"] == hashlib.md5(whole).hexdigest()
    assert response.json()["size"] == 12 * MIB
    assert incoming(settings) == []


def test_too_large_or_cut_short_uploads_leave_nothing(
    live_server: LiveServer, client: TestClient, personas: dict[str, Persona], settings: Settings
) -> None:
    ref = declare_security_incident(client, personas)
    lead = personas["responder"]
    settings.evidence_max_bytes = 5 * MIB
    path = f"/api/v1/incidents/{ref}/evidence/upload?type=disk+image"
    with httpx.Client(base_url=live_server.url, headers=lead.headers, timeout=60) as http:
        too_large = http.post(path, content=generated(8))
    assert too_large.status_code == 413, too_large.text
    assert "limited to 5.0 MiB" in too_large.json()["error"]["message"]

    # A client that promises 4 MiB, sends one and goes away.
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port)) as raw:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {lead.token}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {4 * MIB}\r\n\r\n"
        )
        raw.sendall(head.encode() + b"x" * MIB)
        begun = time.monotonic() + 10
        while not incoming(settings) and time.monotonic() < begun:
            time.sleep(0.02)
        assert incoming(settings), "the upload never began"
    deadline = time.monotonic() + 10
    while incoming(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert incoming(settings) == []
    assert not (settings.evidence_dir / "sha256").exists()
    listed = client.get(f"/api/v1/incidents/{ref}/evidence", headers=lead.headers).json()
    assert listed["count"] == 0
