"""The digest memo is keyed on ctime as well: a restored mtime no longer passes for unchanged.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Rows memoised before this revision were keyed on size, mtime and inode only, which a user
can put back after changing a file (`touch -d`, `os.utime`); they are dropped, so every file
is hashed once more and memoised with its ctime.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add digest_memo.ctime_ns and forget digests memoised without it."""
    op.execute(sa.text("DELETE FROM digest_memo"))
    with op.batch_alter_table("digest_memo") as batch:
        batch.add_column(sa.Column("ctime_ns", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop the column (rows then match on size, mtime and inode only, as before)."""
    with op.batch_alter_table("digest_memo") as batch:
        batch.drop_column("ctime_ns")
