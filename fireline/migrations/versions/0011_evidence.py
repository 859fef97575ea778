"""Security: evidence items (uploaded files and external items) and their
append-only custody events.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fireline.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("item_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source_host", sa.String(length=255), nullable=False),
        sa.Column("source_serial", sa.String(length=255), nullable=False),
        sa.Column("source_account", sa.String(length=320), nullable=False),
        sa.Column("source_cloud", sa.String(length=1000), nullable=False),
        sa.Column("collected_by", sa.String(length=200), nullable=False),
        sa.Column("collected_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("collected_tz", sa.String(length=64), nullable=False),
        sa.Column("tool", sa.String(length=200), nullable=False),
        sa.Column("tool_version", sa.String(length=100), nullable=False),
        sa.Column("storage_location", sa.String(length=500), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verify_problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registered_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "label"),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_items_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "evidence_custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("from_party", sa.String(length=200), nullable=False),
        sa.Column("to_party", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("occurred_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("hash_source", sa.String(length=16), nullable=False),
        sa.Column("hash_matches", sa.Boolean(), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["evidence_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "seq"),
    )
    with op.batch_alter_table("evidence_custody_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_custody_events_item_id"), ["item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_custody_events_item_id"))
    op.drop_table("evidence_custody_events")
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_items_incident_id"))
    op.drop_table("evidence_items")
