"""Tables for observables on incidents and the incidents' ATT&CK technique tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base, JSONType
from fireline.people.models import User


class IncidentObservable(Base):
    """One observable (normalised) on one incident, with its TLP 2.0 marking.

    ``match_key`` is the SHA-256 of (type, hash algorithm, value): the same
    observable has the same key in every incident, which is how sightings
    link incidents. The key is indexed rather than the value itself because a
    value may be 2048 characters, more than a PostgreSQL index entry holds.
    """

    __tablename__ = "incident_observables"
    __table_args__ = (
        UniqueConstraint("incident_id", "match_key"),
        Index("ix_incident_observables_match_key", "match_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    hash_algorithm: Mapped[str | None] = mapped_column(String(16), default=None)
    match_key: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    techniques: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_seen: Mapped[datetime | None] = mapped_column(default=None)
    last_seen: Mapped[datetime | None] = mapped_column(default=None)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    added_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    added_by: Mapped[User | None] = relationship()


class IncidentTechnique(Base):
    """A MITRE ATT&CK technique the incident involved, tagged by a person."""

    __tablename__ = "incident_techniques"
    __table_args__ = (UniqueConstraint("incident_id", "technique"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    technique: Mapped[str] = mapped_column(String(16))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    added_at: Mapped[datetime]

    added_by: Mapped[User | None] = relationship()
