"""Tables for exercises: scenarios uploaded by admins, runs, and each run's
injects and objectives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base, JSONType
from fireline.people.models import User


class StoredScenario(Base):
    """A scenario kept in the database, as the YAML its author wrote. It adds
    to the built-in scenarios, or replaces the one with the same key."""

    __tablename__ = "exercise_scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ExerciseRun(Base):
    """One run of a scenario: the exercise incident it opened and whether it
    may reach real people. The scenario is kept as it was when the run
    started, so editing a scenario never changes a run."""

    __tablename__ = "exercise_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_key: Mapped[str] = mapped_column(String(64), index=True)
    scenario_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True, default=None
    )
    # Real notifications (pages, e-mails, chat) for the exercise incident.
    notify: Mapped[bool] = mapped_column(default=False)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    notes: Mapped[str] = mapped_column(Text, default="")

    facilitator: Mapped[User] = relationship()
    injects: Mapped[list[ExerciseInject]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ExerciseInject.position"
    )
    objectives: Mapped[list[ExerciseObjective]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ExerciseObjective.position"
    )


class ExerciseInject(Base):
    """One timed inject of a run: due at the start plus its offset,
    delivered by the worker (``exercise.inject`` jobs)."""

    __tablename__ = "exercise_injects"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    # What delivering it made (alert dedup key, evidence label, task id) or why it could not.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    run: Mapped[ExerciseRun] = relationship(back_populates="injects")


class ExerciseObjective(Base):
    """An objective of a run and, once the facilitator has judged it, whether it was met."""

    __tablename__ = "exercise_objectives"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    met: Mapped[bool | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime | None] = mapped_column(default=None)

    run: Mapped[ExerciseRun] = relationship(back_populates="objectives")
