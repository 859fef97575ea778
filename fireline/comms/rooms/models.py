"""A chat room: a channel kind and its target, and what it is told of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fireline.core.db import Base, JSONType


class ChatRoom(Base):
    __tablename__ = "chat_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # a channel kind: apprise, slack, webhook…
    target: Mapped[dict[str, Any]] = mapped_column()
    # Timeline kinds it is told of ("declared", "severity_changed", …).
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
