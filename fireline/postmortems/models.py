"""A post-mortem per incident, and the people who review it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.people.models import User

STATUSES = ("draft", "in_review", "published")


class PostMortem(Base):
    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    due_date: Mapped[date | None] = mapped_column(default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    reviewers: Mapped[list[Reviewer]] = relationship(
        back_populates="postmortem", cascade="all, delete-orphan", order_by="Reviewer.id"
    )


class Reviewer(Base):
    __tablename__ = "postmortem_reviewers"
    __table_args__ = (UniqueConstraint("postmortem_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # pending, approved or changes_requested
    decision: Mapped[str] = mapped_column(String(24), default="pending")
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    postmortem: Mapped[PostMortem] = relationship(back_populates="reviewers")
    user: Mapped[User] = relationship()
