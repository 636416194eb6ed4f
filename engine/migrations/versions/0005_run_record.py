"""The run record: runs keep their family, inputs hash, what they supersede and why, their sources;
publications (公示) are kept beside the runs.

Revision ID: 0005
Revises: 0004

Existing runs get the family of their ruleset id (the id without a trailing
year, as a ruleset without ``family:`` has) and no superseded run: the newest
run of each family and period counts, as before.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_YEAR_SUFFIX = re.compile(r"[-_.]?(?:19|20)\d{2}$")  # frozen copy of model.default_family's rule


def upgrade() -> None:
    """Add the columns and the publications table; fill in the family of existing runs."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("family", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("inputs_sha256", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("supersedes", sa.String(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(), nullable=True))
        batch.add_column(sa.Column("sources_json", sa.String(), nullable=False, server_default="{}"))
        batch.create_index("ix_runs_family", ["family"])
        batch.create_index("ix_runs_supersedes", ["supersedes"])
    runs = sa.table("runs", sa.column("id", sa.String()), sa.column("ruleset_id", sa.String()),
                    sa.column("family", sa.String()))
    bind = op.get_bind()
    for run_id, ruleset_id in bind.execute(sa.select(runs.c.id, runs.c.ruleset_id)).all():
        family = _YEAR_SUFFIX.sub("", ruleset_id) or ruleset_id
        bind.execute(runs.update().where(runs.c.id == run_id).values(family=family))
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
    )
    op.create_index("ix_publications_run_id", "publications", ["run_id"])


def downgrade() -> None:
    """Drop the publications and the new columns."""
    op.drop_table("publications")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_supersedes")
        batch.drop_index("ix_runs_family")
        for column in ("sources_json", "reason", "supersedes", "inputs_sha256", "family"):
            batch.drop_column(column)
