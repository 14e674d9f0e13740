"""Fleet state, per-scan portfolio roll-ups and the indexes portfolio questions use.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Issue 35. `fleet_jobs` holds queued/running/done/failed per target of each `fleet submit`;
`portfolio_rollups` holds each indexed scan's origin groups; components get a pattern index
on purl (PostgreSQL: text_pattern_ops, so `LIKE 'prefix%'` is a range scan) and an index on
name (`portfolio where NAME`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the fleet and portfolio tables and the component indexes."""
    op.create_table(
        "fleet_jobs",
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(), nullable=True),
        sa.Column("scan_id", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job_id", "position", name="pk_fleet_jobs"),
        sa.UniqueConstraint("job_id", "target", name="uq_fleet_jobs_job_id_target"),
    )
    op.create_index("ix_fleet_jobs_submitted_at", "fleet_jobs", ["submitted_at"])
    op.create_table(
        "portfolio_rollups",
        sa.Column("scan_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("facet", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("components", sa.Integer(), nullable=False),
        sa.Column("direct", sa.Integer(), nullable=False),
        sa.Column("transitive", sa.Integer(), nullable=False),
        sa.Column("packages", sa.Integer(), nullable=False),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scans.id"],
            name="fk_portfolio_rollups_scan_id_scans",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "position", name="pk_portfolio_rollups"),
    )
    op.create_index(
        "ix_components_purl_pattern",
        "components",
        ["purl"],
        postgresql_ops={"purl": "text_pattern_ops"},
    )
    op.create_index("ix_components_name", "components", ["name"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_components_name", table_name="components")
    op.drop_index("ix_components_purl_pattern", table_name="components")
    op.drop_table("portfolio_rollups")
    op.drop_index("ix_fleet_jobs_submitted_at", table_name="fleet_jobs")
    op.drop_table("fleet_jobs")
