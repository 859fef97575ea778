"""Security: notification obligations attached to incidents, the moments their
clocks start from, submissions of their stages and the documents sent.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fireline.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> fireline.core.db.UTCDateTime:
    return fireline.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incident_obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", _json(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conditions", _json(), nullable=False),
        sa.Column("attached_by_id", sa.Integer(), nullable=True),
        sa.Column("attached_at", _time(), nullable=False),
        sa.Column("detached_by_id", sa.Integer(), nullable=True),
        sa.Column("detached_at", _time(), nullable=True),
        sa.Column("detach_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["attached_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["detached_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident_obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_obligations_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "obligation_moments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", _time(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["obligation_id"], ["incident_obligations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("obligation_moments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obligation_moments_obligation_id"), ["obligation_id"], unique=False
        )

    op.create_table(
        "obligation_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("obligation_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obligation_documents_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "obligation_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", _time(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("authority", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("due_at", _time(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["obligation_documents.id"]),
        sa.ForeignKeyConstraint(["obligation_id"], ["incident_obligations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("obligation_id", "stage_key"),
    )
    with op.batch_alter_table("obligation_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obligation_submissions_obligation_id"), ["obligation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("obligation_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligation_submissions_obligation_id"))
    op.drop_table("obligation_submissions")
    with op.batch_alter_table("obligation_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligation_documents_incident_id"))
    op.drop_table("obligation_documents")
    with op.batch_alter_table("obligation_moments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligation_moments_obligation_id"))
    op.drop_table("obligation_moments")
    with op.batch_alter_table("incident_obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_obligations_incident_id"))
    op.drop_table("incident_obligations")
