"""Re-evaluations of stored scans: `auditor rescreen` (issue 34).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08

A stored scan can be judged again against the current knowledge base, rules and screening
lists without being rescanned. Each such evaluation is numbered (the scan's own is 1):
`scans.evaluation` names the newest, `findings.evaluation` which evaluation made a finding
row (every existing row: 1), `evaluations` what each re-evaluation was judged against, and
`evaluation_origins` the origins it changed.

Set auditor.store.SCHEMA_HEAD to this revision (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Spelled out, not imported from models.py, so editing the models cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the evaluation columns and tables; every stored row is evaluation 1."""
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("evaluation", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("evaluation", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "evaluations",
        sa.Column("scan_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("evaluated_at", sa.String(), nullable=False),
        sa.Column("tool_version", sa.String(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=True),
        sa.Column("knowledge_base", sa.String(), nullable=False),
        sa.Column("lists", JSON, nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("cleared", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name="fk_evaluations_scan_id_scans", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("scan_id", "number", name="pk_evaluations"),
    )
    op.create_table(
        "evaluation_origins",
        sa.Column("scan_id", sa.String(), nullable=False),
        sa.Column("evaluation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("origin", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scans.id"],
            name="fk_evaluation_origins_scan_id_scans",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "evaluation", "position", name="pk_evaluation_origins"),
    )


def downgrade() -> None:
    """Drop re-evaluations: their finding rows go, the scans' own evaluations stay."""
    op.drop_table("evaluation_origins")
    op.drop_table("evaluations")
    op.execute(sa.text("DELETE FROM findings WHERE evaluation <> 1"))
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("evaluation")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("evaluation")
