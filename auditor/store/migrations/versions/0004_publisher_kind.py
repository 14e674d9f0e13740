"""Origins: whether the publisher is an organisation or individual maintainers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Set auditor.store.SCHEMA_HEAD to this revision (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add origins.publisher_kind."""
    # Nullable: unknown, and every origin of a scan stored before this revision.
    with op.batch_alter_table("origins") as batch:
        batch.add_column(sa.Column("publisher_kind", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("origins") as batch:
        batch.drop_column("publisher_kind")
