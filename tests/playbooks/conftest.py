"""Playbook tests: the app's settings point the ``edr`` action endpoint at a
real HTTP receiver on 127.0.0.1, and a worker runs the queued jobs."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from fireline.core.clock import FixedClock
from fireline.core.config import ActionEndpoint, Settings
from fireline.core.db import Database
from fireline.core.jobs.worker import Worker
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


@pytest.fixture
def run_jobs(db: Database, clock: FixedClock, settings: Settings) -> Callable[[], int]:
    worker = Worker(db, clock, settings, rng=random.Random(1))

    def run() -> int:
        total = 0
        while (done := worker.run_once()) > 0:
            total += done
        return total

    return run
