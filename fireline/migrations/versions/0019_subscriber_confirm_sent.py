"""Status subscribers: when the last confirmation mail was queued.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fireline.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirm_sent_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.drop_column("confirm_sent_at")
