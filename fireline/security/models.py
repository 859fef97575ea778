"""Tables for a security incident's decisions: its classification and the
decision on it, approvals of response actions, and confidential notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base, JSONType
from fireline.people.models import User


class ClassificationRecord(Base):
    """The incident's current security classification, what it suggested,
    and what a person decided about the suggestion (history: the timeline)."""

    __tablename__ = "security_classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    suggested_severity: Mapped[str] = mapped_column(String(16))
    suggested_because: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # [{"key": "gdpr", "reasons": [...], "conditions": {...}}]
    suggested_obligations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    classified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    classified_at: Mapped[datetime]
    # "confirmed" or "overridden" once a person decided; None until then.
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    decided_severity: Mapped[str | None] = mapped_column(String(16), default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    classified_by: Mapped[User | None] = relationship(foreign_keys=[classified_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ApprovalRequest(Base):
    """A response action (isolate a host, wipe a laptop, restore from backup)
    that named roles must approve before anyone carries it out."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(32))  # containment, eradication, recovery
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    required_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    carried_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    carried_out_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str] = mapped_column(Text, default="")

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    carried_out_by: Mapped[User | None] = relationship(foreign_keys=[carried_out_by_id])
    decisions: Mapped[list[ApprovalDecision]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ApprovalDecision.id"
    )


class ApprovalDecision(Base):
    __tablename__ = "approval_decisions"
    __table_args__ = (UniqueConstraint("request_id", "role_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True
    )
    role_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))  # approve or reject
    rationale: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime]

    request: Mapped[ApprovalRequest] = relationship(back_populates="decisions")
    user: Mapped[User] = relationship()


class ConfidentialNote(Base):
    """A note only the named roles (and admins) may read. Its audit record
    carries the body's hash, so the chain proves it without repeating it."""

    __tablename__ = "confidential_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    audit_seq: Mapped[int]

    author: Mapped[User] = relationship()
