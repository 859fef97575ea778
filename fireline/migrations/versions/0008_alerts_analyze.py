"""PostgreSQL re-reads the statistics of the alert tables sooner.

The default (after 10% of a table changed) leaves the planner with the row
counts of an empty table while the first alerts pour in, and it then reads
every open alert of an integration to find a few hundred by key. After 1,000
changed rows, or 2%, the lookups stay on the unique index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 11:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("alerts", "alert_groups")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} SET (autovacuum_analyze_threshold = 1000,"
            " autovacuum_analyze_scale_factor = 0.02)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} RESET (autovacuum_analyze_threshold,"
            " autovacuum_analyze_scale_factor)"
        )
