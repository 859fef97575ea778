"""Learning: exercises: scenarios kept in the database, runs, their injects and objectives.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fireline.core.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, fireline.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "exercise_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "exercise_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_key", sa.String(length=64), nullable=False),
        sa.Column("scenario_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        _time("started_at"),
        _time("finished_at", nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["facilitator_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    with op.batch_alter_table("exercise_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exercise_runs_scenario_key"), ["scenario_key"], unique=False
        )
    op.create_table(
        "exercise_injects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        _time("due_at"),
        _time("delivered_at", nullable=True),
        sa.Column("outcome", JSON, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["exercise_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "key"),
    )
    with op.batch_alter_table("exercise_injects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercise_injects_run_id"), ["run_id"], unique=False)
    op.create_table(
        "exercise_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        _time("recorded_at", nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["exercise_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "position"),
    )
    with op.batch_alter_table("exercise_objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercise_objectives_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    for table in ("exercise_objectives", "exercise_injects"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_run_id"))
        op.drop_table(table)
    with op.batch_alter_table("exercise_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercise_runs_scenario_key"))
    op.drop_table("exercise_runs")
    op.drop_table("exercise_scenarios")
