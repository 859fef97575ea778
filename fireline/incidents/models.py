"""Incidents and what hangs off them: services, roles, participants, timeline, tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.catalog.models import Service
from fireline.core.db import Base
from fireline.people.models import User

REF_PREFIX = "INC-"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_declared", "status", "declared_at"),
        # The list's common shapes: newest first, optionally open/closed or one severity.
        Index("ix_incidents_declared", "declared_at"),
        Index("ix_incidents_open_declared", "is_open", "declared_at"),
        Index("ix_incidents_severity_declared", "severity", "declared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    type_key: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(64))
    is_open: Mapped[bool] = mapped_column(default=True, index=True)
    restricted: Mapped[bool] = mapped_column(default=False)
    # A drill: flagged everywhere, left out of metrics, and kept from real
    # notifications unless its exercise chose otherwise.
    is_exercise: Mapped[bool] = mapped_column(default=False, index=True)
    commander_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), default=None, index=True
    )
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True, default=None)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), default=None, index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), default=None, index=True
    )
    classification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    detected_at: Mapped[datetime | None] = mapped_column(default=None)
    declared_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    mitigated_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]

    commander: Mapped[User | None] = relationship(foreign_keys=[commander_id])
    parent: Mapped[Incident | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    services: Mapped[list[Service]] = relationship(
        secondary="incident_services", order_by="Service.name"
    )
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.id}"


class IncidentService(Base):
    __tablename__ = "incident_services"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )


class RoleAssignment(Base):
    """Who holds which of the plan's roles; ended assignments stay as history."""

    __tablename__ = "incident_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    role_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    incident: Mapped[Incident] = relationship(back_populates="roles")
    user: Mapped[User] = relationship()


class Participant(Base):
    """Someone working on the incident (may see it when restricted) or following it."""

    __tablename__ = "incident_participants"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="participant")  # or "follower"
    added_at: Mapped[datetime]

    incident: Mapped[Incident] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class TimelineEvent(Base):
    """An append-only record of something that happened; its audit record is in the chain."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_incident_occurred", "incident_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pinned: Mapped[bool] = mapped_column(default=False)
    audit_seq: Mapped[int] = mapped_column()

    actor: Mapped[User | None] = relationship()


class Task(Base):
    __tablename__ = "incident_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    # The plan role whose work this is (legal, privacy, hr_liaison, …), if any.
    role_key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    assignee: Mapped[User | None] = relationship()


class ActionItem(Base):
    """A follow-up that outlives the incident, tracked to closure."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    due_date: Mapped[date | None] = mapped_column(default=None)
    priority: Mapped[str] = mapped_column(String(16), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="open")
    ticket_url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    owner: Mapped[User | None] = relationship()


class IncidentLink(Base):
    """Two incidents that are related (stored once, smaller id first)."""

    __tablename__ = "incident_links"
    __table_args__ = (UniqueConstraint("incident_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
