"""The HTTP metadata cache: registry answers kept between scans, shared by every scanner.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "http_cache",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("immutable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_http_cache"),
    )


def downgrade() -> None:
    op.drop_table("http_cache")
