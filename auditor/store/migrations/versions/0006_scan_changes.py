"""Each scan keeps what changed since the previous scan of its targets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

The HTML and Markdown reports lead with the change since the previous scan. It is counted when
a scan is made and kept in this column, so a report of a stored scan reads the same after
`auditor prune` removed the scan it was compared with. Scans stored before this revision have
NULL: their reports say no comparison was kept.

Set auditor.store.SCHEMA_HEAD to this revision (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out, not imported from models.py, so editing the models cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add scans.changes (nullable JSON; JSONB on PostgreSQL)."""
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("changes", JSON, nullable=True))


def downgrade() -> None:
    """Drop the column (reports then say no comparison was kept)."""
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("changes")
