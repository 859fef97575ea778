"""Security: observables on incidents (TLP 2.0 markings, ATT&CK tags, a match key
indexed for sightings across incidents) and the incidents' technique tags.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fireline.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_observables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("hash_algorithm", sa.String(length=16), nullable=True),
        sa.Column("match_key", sa.String(length=64), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "techniques",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seen", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "match_key"),
    )
    with op.batch_alter_table("incident_observables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_observables_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index("ix_incident_observables_match_key", ["match_key"], unique=False)

    op.create_table(
        "incident_techniques",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("technique", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "technique"),
    )
    with op.batch_alter_table("incident_techniques", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_techniques_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_techniques", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_techniques_incident_id"))

    op.drop_table("incident_techniques")
    with op.batch_alter_table("incident_observables", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_observables_match_key")
        batch_op.drop_index(batch_op.f("ix_incident_observables_incident_id"))

    op.drop_table("incident_observables")
