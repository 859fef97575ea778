"""An incident's own Slack channel, and its pinned header message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fireline.core.db import Base


class SlackChannel(Base):
    __tablename__ = "slack_incident_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    channel_id: Mapped[str] = mapped_column(String(32), unique=True)
    header_ts: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime]
