"""Keys of the HTTP API (diagnose serve): one row per key, holding only the secret's hash.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name="fk_api_key_project_id_project",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("prefix", name="uq_api_key_prefix"),
    )
    op.create_index("ix_api_key_project_id", "api_key", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_api_key_project_id", table_name="api_key")
    op.drop_table("api_key")
