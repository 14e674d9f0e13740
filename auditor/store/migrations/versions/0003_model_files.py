"""Model caches: the files of each model/dataset revision, and the digest memo.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Set auditor.store.SCHEMA_HEAD to this revision (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out rather than imported from models.py, so editing the models cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add components.files and the digest_memo table."""
    # Nullable: rows of scans stored before this revision have no files, which decodes as ().
    with op.batch_alter_table("components") as batch:
        batch.add_column(sa.Column("files", JSON, nullable=True))
    op.create_table(
        "digest_memo",
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("algorithm", sa.String(), nullable=False),
        sa.Column("stat", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("path", "algorithm", name="pk_digest_memo"),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("digest_memo")
    with op.batch_alter_table("components") as batch:
        batch.drop_column("files")
