"""Tables for playbooks edited in the web UI or imported, and for playbooks
running on incidents, step by step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.people.models import User


class StoredPlaybook(Base):
    """A playbook kept in the database, as the YAML its author wrote. It
    adds to the plan's playbooks, or replaces the one with the same key."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    updated_by: Mapped[User | None] = relationship()


class PlaybookRun(Base):
    """A playbook running on an incident. The playbook's YAML is kept as it
    was when the run started, so editing a playbook never changes a run."""

    __tablename__ = "playbook_runs"
    __table_args__ = (UniqueConstraint("incident_id", "playbook_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    playbook_key: Mapped[str] = mapped_column(String(64), index=True)
    playbook_name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[str] = mapped_column(Text)  # the playbook as JSON
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    by_hand: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    steps: Mapped[list[RunStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunStep.position"
    )


class RunStep(Base):
    __tablename__ = "playbook_run_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "step_key"),
        Index("ix_playbook_run_steps_task", "task_id"),
        Index("ix_playbook_run_steps_approval", "approval_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    # pending, open, awaiting_approval, running, done, skipped, not_applicable
    status: Mapped[str] = mapped_column(String(24), default="pending")
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_tasks.id", ondelete="SET NULL"), default=None
    )
    approval_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="SET NULL"), default=None
    )
    reached_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")  # why skipped; the action's last result

    run: Mapped[PlaybookRun] = relationship(back_populates="steps")
