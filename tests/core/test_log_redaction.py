"""Secrets that travel in URL paths never reach the access log."""

from __future__ import annotations

import logging

import httpx

from fireline.core.log_redaction import redact_path
from tests.conftest import LiveServer


def test_secret_path_segments_are_replaced() -> None:
    assert redact_path('"POST /ingest/0f3a9c HTTP/1.1"') == '"POST /ingest/[redacted] HTTP/1.1"'
    assert redact_path("GET /ping/abc?x=1") == "GET /ping/[redacted]?x=1"
    assert redact_path("GET /act/djF8Y.k-_9") == "GET /act/[redacted]"
    assert redact_path("GET /calendar/flc_secret.ics") == "GET /calendar/[redacted].ics"
    assert redact_path("GET /ingest HTTP/1.1") == "GET /ingest HTTP/1.1"  # key in a header
    assert redact_path("GET /incidents/INC-4") == "GET /incidents/INC-4"


def test_a_real_server_logs_the_path_without_the_key(live_server: LiveServer) -> None:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    access = logging.getLogger("uvicorn.access")
    keep, level = Keep(), access.level
    access.addHandler(keep)
    access.setLevel(logging.INFO)
    try:
        response = httpx.post(f"{live_server.url}/ingest/not-a-real-key-4242", json={}, timeout=10)
    finally:
        access.removeHandler(keep)
        access.setLevel(level)
    assert response.status_code == 404
    assert any("/ingest/[redacted]" in line for line in lines), lines
    assert not any("not-a-real-key-4242" in line for line in lines)
