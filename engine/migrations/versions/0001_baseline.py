"""The schema of kaohe 0.1.0: runs, unit results, indicator results, rule firings, alerts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    """Create the five tables as kaohe 0.1.0 created them."""
    op.create_table(
        "runs",
        _text("id"), _text("ruleset_id"), _text("ruleset_name"), _text("ruleset_sha256"),
        _text("facts_sha256"), _text("period"), sa.Column("units", sa.Integer(), nullable=False),
        _text("status"), _text("ruleset_path"), _text("facts_path"), _text("ruleset_json"),
        _text("ties_json"), _text("timings_json"), _text("kaohe_version"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("ruleset_id", "ruleset_sha256", "period"):
        op.create_index(f"ix_runs_{column}", "runs", [column])
    op.create_table(
        "unit_results",
        sa.Column("id", sa.Integer(), nullable=False), _text("run_id"), _text("unit"), _text("name"),
        _text("category"), _text("parent", True), sa.Column("base_score", sa.Float(), nullable=True),
        sa.Column("points", sa.Float(), nullable=False), sa.Column("score", sa.Float(), nullable=True),
        _text("grade", True), sa.Column("rank", sa.Integer(), nullable=True), _text("band_grade", True),
        _text("cap_grade", True), _text("quota_note", True), _text("facts_json"),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_table(
        "indicator_results",
        sa.Column("id", sa.Integer(), nullable=False), _text("run_id"), _text("unit"), _text("indicator"),
        sa.Column("value", sa.Float(), nullable=True), sa.Column("score", sa.Float(), nullable=True),
        _text("light"), sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_table(
        "rule_firings",
        sa.Column("id", sa.Integer(), nullable=False), _text("run_id"), _text("unit"), _text("rule_id"),
        _text("values_json"),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False), _text("run_id"), _text("unit"), _text("kind"),
        _text("text"),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    for table in ("unit_results", "indicator_results", "rule_firings", "alerts"):
        op.create_index(f"ix_{table}_run_id", table, ["run_id"])


def downgrade() -> None:
    """Drop every table."""
    for table in ("alerts", "rule_firings", "indicator_results", "unit_results", "runs"):
        op.drop_table(table)
