"""Tables for evidence: the items preserved for an investigation and their
custody trail.

An item is either a file fireline holds (uploaded, kept by its SHA-256 in the
evidence store) or an external thing described in words (a laptop in a
locker, a disk image on a shelf). Items are not edited once registered; what
happens to them later is a custody event, and custody events are only ever
added.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base
from fireline.people.models import User

REF_PREFIX = "EV-"


class EvidenceItem(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (UniqueConstraint("incident_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    # Short and per incident (E1, laptop-4711); the global ref is EV-<id>.
    label: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))  # "upload" or "external"
    item_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    source_host: Mapped[str] = mapped_column(String(255), default="")
    source_serial: Mapped[str] = mapped_column(String(255), default="")
    source_account: Mapped[str] = mapped_column(String(320), default="")
    source_cloud: Mapped[str] = mapped_column(String(1000), default="")
    collected_by: Mapped[str] = mapped_column(String(200))
    collected_at: Mapped[datetime]
    # The zone the collector's clock showed: an IANA name, or UTC±hh:mm.
    collected_tz: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(200), default="")
    tool_version: Mapped[str] = mapped_column(String(100), default="")
    storage_location: Mapped[str] = mapped_column(String(500), default="")
    legal_hold: Mapped[bool] = mapped_column(default=False)
    retain_until: Mapped[date | None] = mapped_column(default=None)
    # An upload: its name and type as sent, its size and its hashes as fireline
    # computed them. An external item: the hashes its collector measured, if any.
    file_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    sha1: Mapped[str | None] = mapped_column(String(40), default=None)
    md5: Mapped[str | None] = mapped_column(String(32), default=None)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    registered_at: Mapped[datetime]
    # The last time its stored bytes were hashed again, and what was wrong then
    # (None: they matched). Every check is also in the audit chain.
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    verify_problem: Mapped[str | None] = mapped_column(Text, default=None)

    registered_by: Mapped[User | None] = relationship()
    custody: Mapped[list[CustodyRecord]] = relationship(
        back_populates="item", order_by="CustodyRecord.seq", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.id}"

    @property
    def is_upload(self) -> bool:
        return self.origin == "upload"


class CustodyRecord(Base):
    """One custody event; ``seq`` numbers an item's trail from 1 (collected)."""

    __tablename__ = "evidence_custody_events"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(200))
    from_party: Mapped[str] = mapped_column(String(200), default="")
    to_party: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The SHA-256 taken at the event: "recomputed" from the stored bytes by
    # fireline, or "entered" as the person measured it; whether it matched.
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    hash_source: Mapped[str] = mapped_column(String(16), default="")
    hash_matches: Mapped[bool | None] = mapped_column(default=None)
    audit_seq: Mapped[int]

    item: Mapped[EvidenceItem] = relationship(back_populates="custody")
    recorded_by: Mapped[User | None] = relationship()
