"""The initial run store: project, run, blob, submission, baseline, report, tag.

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

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_project"),
        sa.UniqueConstraint("name", name="uq_project_name"),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("task", sa.String(20), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("ingest", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("train_size", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("cv_error", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name="fk_run_project_id_project",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_run"),
        sa.UniqueConstraint("project_id", "name", name="uq_run_project_id_name"),
    )
    op.create_index("ix_run_project_id", "run", ["project_id"])
    op.create_table(
        "blob",
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name="pk_blob"),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("split", sa.String(10), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["content_hash"], ["blob.content_hash"],
                                name="fk_submission_content_hash_blob"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_submission_run_id_run", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_submission"),
        sa.UniqueConstraint("run_id", "split", name="uq_submission_run_id_split"),
    )
    op.create_index("ix_submission_run_id", "submission", ["run_id"])
    op.create_table(
        "baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_baseline_run_id_run", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_baseline"),
        sa.UniqueConstraint("run_id", "name", name="uq_baseline_run_id_name"),
    )
    op.create_index("ix_baseline_run_id", "baseline", ["run_id"])
    op.create_table(
        "report",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_report_run_id_run", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", name="pk_report"),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.String(200), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], name="fk_tag_submission_id_submission",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_tag"),
        sa.UniqueConstraint("submission_id", "sample_id", name="uq_tag_submission_id_sample_id"),
    )
    op.create_index("ix_tag_submission_id", "tag", ["submission_id"])


def downgrade() -> None:
    for index, table in (("ix_tag_submission_id", "tag"), ("ix_baseline_run_id", "baseline"),
                         ("ix_submission_run_id", "submission"), ("ix_run_project_id", "run")):
        op.drop_index(index, table_name=table)
    for table in ("tag", "report", "baseline", "submission", "blob", "run", "project"):
        op.drop_table(table)
