"""Each run's statistics per split (the mergeable sums the report and the curves are computed
from), so that the dashboard renders a run without decoding its tables. Runs stored before
have none; readers then fall back to the tables.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_statistics",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("split", sa.String(10), nullable=False),
        sa.Column("codec", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_run_statistics_run_id_run", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "split", name="pk_run_statistics"),
    )


def downgrade() -> None:
    op.drop_table("run_statistics")
