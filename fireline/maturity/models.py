"""The questionnaire's answers: the latest per question, with who gave it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.people.models import User


class MaturityAnswer(Base):
    __tablename__ = "maturity_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime]

    answered_by: Mapped[User | None] = relationship()
