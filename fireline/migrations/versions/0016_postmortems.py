"""Learning: post-mortems need no tables beyond those of 0015.

The post-mortem workflow lives in ``postmortems`` and ``postmortem_reviewers``
(0015); reminders and escalations are rows in the jobs table; action items
are the incidents' ``action_items`` (0003). This revision is kept so the
revision chain stays as planned.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
