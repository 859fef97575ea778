"""Fixtures for the paging tests: settings that let fireline reach the local
peers (an SMTP server and HTTP receivers on 127.0.0.1), the alert fixtures
that make services and integrations, and a worker on the test clock."""

from __future__ import annotations

import pytest

from fireline.core.config import Settings
from tests.alerts.conftest import make_integration, services
from tests.comms.conftest import Mailbox, mailbox, receiver, smtp_server

__all__ = ["mailbox", "make_integration", "receiver", "services", "smtp_server"]


@pytest.fixture
def settings(database_url: str, smtp_server: Mailbox) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url="http://fireline.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_from="fireline@fireline.test",
        outbound_allow_private=True,
    )
