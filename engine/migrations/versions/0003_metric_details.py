"""What plugin metrics record per run: the ``metric_details`` table.

Revision ID: 0003
Revises: 0002

Added by the plugin hooks just before migrations existed (``create_all``
made it), so a table that already exists is left as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``metric_details`` unless it is there."""
    if sa.inspect(op.get_bind()).has_table("metric_details"):
        return
    op.create_table(
        "metric_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("indicator", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("data_json", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_index("ix_metric_details_run_id", "metric_details", ["run_id"])


def downgrade() -> None:
    """Drop ``metric_details``."""
    op.drop_table("metric_details")
