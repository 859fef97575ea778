"""PagerDuty's own Python client, pointed at fireline, works unchanged.

The client insists on https, so fireline is served over TLS here with a
certificate made for the test; the client is told to trust it and is
otherwise used exactly as PagerDuty documents."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pagerduty
import pytest
import uvicorn
from fastapi import FastAPI

from fireline.core.db import Database
from tests.alerts.conftest import MakeIntegration, groups


@pytest.fixture
def tls_server(app: FastAPI, tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the TLS test server did not start"
        time.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert))
    finally:
        # The client keeps its connection open: without force_exit the
        # server waits for it until the join gives up (10 s).
        server.should_exit = server.force_exit = True
        thread.join(timeout=10)


def test_official_events_client_triggers_acknowledges_resolves(
    tls_server: tuple[str, ssl.SSLContext], db: Database, make_integration: MakeIntegration
) -> None:
    url, trust = tls_server
    key = make_integration("pagerduty")["key"]
    client = pagerduty.EventsApiV2Client(key, base_url=url, verify=trust)

    dedup_key = client.trigger(
        "Payment provider timeouts",
        "checkout-7",
        severity="error",
        custom_details={"p99_ms": 5400},
        links=[{"href": "https://grafana.example.com/d/pay", "text": "dashboard"}],
    )
    assert dedup_key
    [group] = groups(db)
    assert (group.title, group.severity, group.status) == (
        "Payment provider timeouts",
        "error",
        "triggered",
    )

    assert client.acknowledge(dedup_key) == dedup_key
    assert groups(db)[0].status == "acknowledged"
    assert client.resolve(dedup_key) == dedup_key
    assert groups(db)[0].status == "resolved"

    client.send_change_event(payload={"summary": "Deploy checkout 2.3.1", "source": "ci"})

    with pytest.raises(pagerduty.Error):
        pagerduty.EventsApiV2Client("0" * 32, base_url=url, verify=trust).trigger("x", "y")
