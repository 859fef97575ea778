"""Tables for the notification obligations attached to incidents: the
obligation as attached, the moments its clocks start from, what was
submitted for each stage, and the documents sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.incidents.models import Incident
from fireline.people.models import User


class IncidentObligation(Base):
    """An obligation attached to an incident. ``definition`` keeps the
    obligation as it was when attached (stages, clocks, conditions), so a
    later change of the plan does not move deadlines already running.
    Detached obligations stay, with who detached them and why."""

    __tablename__ = "incident_obligations"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    # "suggested": confirmed from the classification's suggestions; "manual": by hand.
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)  # key -> bool
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    attached_at: Mapped[datetime]
    detached_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    detached_at: Mapped[datetime | None] = mapped_column(default=None)
    detach_reason: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship()
    attached_by: Mapped[User | None] = relationship(foreign_keys=[attached_by_id])
    detached_by: Mapped[User | None] = relationship(foreign_keys=[detached_by_id])
    moments: Mapped[list[ObligationMoment]] = relationship(
        cascade="all, delete-orphan", order_by="ObligationMoment.id"
    )
    submissions: Mapped[list[ObligationSubmission]] = relationship(
        cascade="all, delete-orphan", order_by="ObligationSubmission.id"
    )


class ObligationMoment(Base):
    """When something a clock starts from happened: the trigger, becoming
    aware, a ransom payment. Recorded again to correct it; the latest counts."""

    __tablename__ = "obligation_moments"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("incident_obligations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    # The zone the time was given in (an IANA name or an offset), as stated.
    time_zone: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime]

    recorded_by: Mapped[User | None] = relationship()


class ObligationDocument(Base):
    """A document sent to an authority, its bytes in the evidence store under their SHA-256."""

    __tablename__ = "obligation_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[User | None] = relationship()


class ObligationSubmission(Base):
    """A stage's notice, sent: when, to whom, under which reference, with
    which document. ``due_at`` is the deadline as it stood when recorded."""

    __tablename__ = "obligation_submissions"
    __table_args__ = (UniqueConstraint("obligation_id", "stage_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("incident_obligations.id", ondelete="CASCADE"), index=True
    )
    stage_key: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("obligation_documents.id"), default=None
    )
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime]

    document: Mapped[ObligationDocument | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
