"""The service catalogue: things that can break, each owned by a team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.people.models import Team


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    owner_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    tier: Mapped[int] = mapped_column(default=2)
    runbook_url: Mapped[str] = mapped_column(String(2000), default="")
    # Who is paged for the service's alert groups and incidents.
    escalation_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]

    owner_team: Mapped[Team | None] = relationship()
