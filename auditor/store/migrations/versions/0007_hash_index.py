"""The hash index: file digests seen in Hub answers, caches and Ollama manifests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Set auditor.store.SCHEMA_HEAD to this revision (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the hash_index table (empty: the next scans fill it)."""
    op.create_table(
        "hash_index",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("repo", sa.String(), nullable=False),
        sa.Column("revision", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("strength", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "repo", "revision", "path", name="pk_hash_index"),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_table("hash_index")
