"""The public status page: components in groups and their status history,
public incidents and maintenance with updates, templates, subscribers; chat
rooms told of incidents; incidents' Slack channels.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 16:46:57.437693
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fireline.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def upgrade() -> None:
    op.create_table(
        "slack_incident_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("header_ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id"),
        sa.UniqueConstraint("incident_id"),
    )
    op.create_table(
        "chat_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "target",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_ok_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("last_error_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "status_component_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "status_page_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("logo_url", sa.String(length=2000), nullable=False),
        sa.Column("brand_color", sa.String(length=7), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("support_url", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The page exists from the start, so its id (what Statuspage consumers
    # see as page.id) never changes between requests.
    settings = sa.table(
        "status_page_settings",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("logo_url", sa.String),
        sa.column("brand_color", sa.String),
        sa.column("time_zone", sa.String),
        sa.column("support_url", sa.String),
        sa.column("updated_at", fireline.core.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        settings,
        [
            {
                "code": "".join(secrets.choice(CODE_ALPHABET) for _ in range(12)),
                "name": "Status",
                "logo_url": "",
                "brand_color": "#1f6feb",
                "time_zone": "UTC",
                "support_url": "",
                "updated_at": datetime.now(UTC),
            }
        ],
    )
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column(
            "component_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("confirmed_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.create_index("ix_status_subscribers_kind_target", ["kind", "target"], unique=True)

    op.create_table(
        "status_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "status_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("only_show_if_degraded", sa.Boolean(), nullable=False),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["status_component_groups.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("status_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_components_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "status_component_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["component_id"], ["status_components.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_component_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_component_changes_at", ["component_id", "at"], unique=False
        )

    op.create_table(
        "status_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_for", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_until", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("monitoring_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", fireline.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("status_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_incidents_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_status_incidents_kind_created", ["kind", "created_at"], unique=False
        )

    op.create_table(
        "status_component_services",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["component_id"], ["status_components.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("component_id", "service_id"),
    )
    op.create_table(
        "status_incident_components",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["component_id"], ["status_components.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["status_incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id", "component_id"),
    )
    op.create_table(
        "status_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "affected_components",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("notify_subscribers", sa.Boolean(), nullable=False),
        sa.Column("at", fireline.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["status_incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_updates_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("slack_incident_channels")
    op.drop_table("chat_rooms")
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_updates_incident_id"))

    op.drop_table("status_updates")
    op.drop_table("status_incident_components")
    op.drop_table("status_component_services")
    with op.batch_alter_table("status_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_status_incidents_kind_created")
        batch_op.drop_index(batch_op.f("ix_status_incidents_incident_id"))

    op.drop_table("status_incidents")
    with op.batch_alter_table("status_component_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_component_changes_at")

    op.drop_table("status_component_changes")
    with op.batch_alter_table("status_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_components_group_id"))

    op.drop_table("status_components")
    op.drop_table("status_templates")
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_status_subscribers_kind_target")

    op.drop_table("status_subscribers")
    op.drop_table("status_page_settings")
    op.drop_table("status_component_groups")
