"""Prediction tables in an artifact store: a blob row keeps the location of the table's file
(its ``data`` then empty) and sizes past 2 GiB fit. Rows stored before keep their bytes.

Only additions, no copy of the table: SQLite would have to copy ``blob`` to change a column,
which its foreign keys from ``submission`` forbid inside the migration's transaction (and
SQLite's INTEGER already holds 64 bits).

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("blob", sa.Column("location", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("blob", "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:  # only a store whose tables are all inside the database goes back
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("blob", "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("blob") as batch:
        batch.drop_column("location")
