"""Playbook tests: the app's settings point the ``edr`` action endpoint at a
real HTTP receiver on 127.0.0.1, and a worker runs the queued jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.core.config import ActionEndpoint, Settings
from tests.comms.conftest import Receiver, receiver

__all__ = ["receiver"]

EDR_TOKEN = "edr-token-that-must-not-leak"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, receiver: Receiver) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        evidence_dir=tmp_path / "evidence",
        outbound_allow_private=True,
        action_endpoints={
            "edr": ActionEndpoint.model_validate(
                {"url": receiver.url, "headers": {"Authorization": f"Bearer {EDR_TOKEN}"}}
            )
        },
        action_secrets={"TENANT": "acme-prod"},  # type: ignore[dict-item]
    )
