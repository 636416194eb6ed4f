"""What went into a run besides the numbers: its sources, each unit's source rows, data warnings.

Revision ID: 0004
Revises: 0003

The tables of ``engine/store_inputs.py``: ``run_sources`` (one row per file,
sheet or query, the database URL masked), ``unit_sources`` (the row each
source gave a unit) and ``run_warnings`` (checks, suspicious values, skipped
title rows).  Runs stored before have none: explain and reports show nothing
for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    """Create the three tables, each keyed by ``run_id``."""
    op.create_table(
        "run_sources", _int("id"), _text("run_id"), _int("position"), _text("path"), _text("sheet", True),
        _text("db", True), _text("facts_json"), _text("sha256"),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_table(
        "unit_sources", _int("id"), _text("run_id"), _text("unit"), _text("rows_json"),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_index("ix_unit_sources_unit", "unit_sources", ["unit"])
    op.create_table(
        "run_warnings", _int("id"), _text("run_id"), _int("position"), _text("unit", True), _text("code"),
        _text("params_json"), _text("file", True), _int("line", True), _int("col", True), _text("path", True),
        sa.PrimaryKeyConstraint("id"), sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    for table in ("run_sources", "unit_sources", "run_warnings"):
        op.create_index(f"ix_{table}_run_id", table, ["run_id"])


def downgrade() -> None:
    """Drop the three tables."""
    for table in ("run_warnings", "unit_sources", "run_sources"):
        op.drop_table(table)
