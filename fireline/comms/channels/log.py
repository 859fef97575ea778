"""A channel that sends nothing: for the demo and for trying fireline out.

Each message goes to the ``fireline.pages`` logger and to a ring buffer in
this process (:func:`recent`), which the demo shows as the "phone" of the
people it pages.

Target: ``{}``, or ``{"name": "Ana's phone"}`` to tell several apart.

The one-click links are kept in the ring buffer (the demo shows them as
buttons) but are not written to the log: they act without a login.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

from fireline.comms.channels import register
from fireline.comms.channels.base import Delivery, Message, SendContext, TargetInvalid
from fireline.comms.channels.common import only_fields, text_field

logger = logging.getLogger("fireline.pages")
CAPACITY = 200


@dataclass(frozen=True)
class LoggedMessage:
    number: int
    at: datetime
    name: str
    delivery_key: str
    message: Message


_buffer: deque[LoggedMessage] = deque(maxlen=CAPACITY)
_lock = threading.Lock()
_numbers = count(1)


def recent(limit: int = 50) -> list[LoggedMessage]:
    """The latest messages, newest first."""
    with _lock:
        return list(reversed(_buffer))[:limit]


def clear() -> None:
    with _lock:
        _buffer.clear()


class LogChannel:
    kind = "log"
    label = "Log (demo: sends nothing)"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target or {}, {"name"})
        name = text_field(fields, "name", required=False, max_length=100)
        return {"name": name} if name else {}

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        return dict(target)

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        try:
            name = self.validate_target(target).get("name", "")
        except TargetInvalid as exc:
            return Delivery.failed(f"invalid target: {exc}")
        with _lock:
            entry = LoggedMessage(
                number=next(_numbers),
                at=ctx.now or datetime.now(UTC),
                name=name,
                delivery_key=ctx.delivery_key(message),
                message=message,
            )
            _buffer.append(entry)
        logger.info(
            "%s %s%s: %s%s",
            message.kind,
            message.urgency,
            f" to {name}" if name else "",
            message.title,
            f" ({message.link})" if message.link else "",
        )
        return Delivery.sent(
            "logged (the log channel sends nothing)", provider_id=f"log-{entry.number}"
        )


register(LogChannel())
