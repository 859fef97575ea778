"""Indexes for the incident list's common filters, newest first.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_declared", "incidents", ["declared_at"])
    op.create_index("ix_incidents_open_declared", "incidents", ["is_open", "declared_at"])
    op.create_index("ix_incidents_severity_declared", "incidents", ["severity", "declared_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_severity_declared", "incidents")
    op.drop_index("ix_incidents_open_declared", "incidents")
    op.drop_index("ix_incidents_declared", "incidents")
