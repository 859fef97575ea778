"""An SMTP server on 127.0.0.1 (aiosmtpd) that notes when each mail arrived.

It runs on a thread of the benchmark's process, so its arrival times and the
load generator's acceptance times come from the same monotonic clock."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from bench.ingest.run import free_port


@dataclass(frozen=True)
class Arrival:
    at: float  # time.perf_counter() when the message was accepted
    to: str
    subject: str
    kind: str  # X-Fireline-Kind: page, verify or test


class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts, duplicates included."""

    def __init__(self) -> None:
        self.port = 0
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        headers = message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            for to in envelope.rcpt_tos:
                self._arrivals.append(
                    Arrival(at, to, str(headers["Subject"]), str(headers["X-Fireline-Kind"]))
                )
        return "250 OK"

    def pages(self) -> list[Arrival]:
        with self._lock:
            return [a for a in self._arrivals if a.kind == "page"]


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
