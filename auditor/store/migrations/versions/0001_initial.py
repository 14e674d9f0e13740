"""Initial schema: targets, scans and each scan's rows.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written, and frozen: later changes go in new revisions. Types are spelled out here
rather than imported from models.py, so editing the models cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _scan_keys(table: str) -> list[sa.schema.SchemaItem]:
    """(scan_id, position) key and the cascading foreign key every per-scan table has."""
    return [
        sa.Column("scan_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "position", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=f"fk_{table}_scan_id_scans", ondelete="CASCADE"
        ),
    ]


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("identity"),
        _text("kind"),
        _text("ref"),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
        sa.UniqueConstraint("identity", name="uq_targets_identity"),
    )
    op.create_table(
        "scans",
        _text("id"),
        _text("started_at"),
        sa.Column("started_ts", sa.DateTime(timezone=True), nullable=True),
        _text("finished_at"),
        _text("status"),
        _text("tool_version"),
        _text("policy_version", nullable=True),
        _text("host", nullable=True),
        sa.Column("extra", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
    )
    op.create_index("ix_scans_started_ts", "scans", ["started_ts"])
    op.create_table(
        "scan_targets",
        *_scan_keys("scan_targets"),
        sa.Column("target_id", sa.Integer(), nullable=False),
        _text("ref"),
        _text("kind"),
        _text("digest"),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name="fk_scan_targets_target_id_targets"
        ),
    )
    op.create_index("ix_scan_targets_target_id", "scan_targets", ["target_id"])
    op.create_table(
        "components",
        *_scan_keys("components"),
        _text("purl"),
        _text("kind"),
        _text("name"),
        _text("version", nullable=True),
        _text("license", nullable=True),
        sa.Column("direct", sa.Boolean(), nullable=True),
        _text("found_by"),
        sa.Column("hashes", JSON, nullable=False),
        sa.Column("locations", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
    )
    op.create_index("ix_components_purl", "components", ["purl"])
    op.create_table(
        "origins",
        *_scan_keys("origins"),
        _text("purl"),
        _text("status"),
        _text("reason", nullable=True),
        *(
            _text(f"{claim}_{part}", nullable=True)
            for claim in ("publisher", "repository", "organisation", "country")
            for part in ("value", "strength")
        ),
        sa.Column("roots", JSON, nullable=False),
        sa.Column("conflicts", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
    )
    op.create_index("ix_origins_purl", "origins", ["purl"])
    op.create_index("ix_origins_organisation_value", "origins", ["organisation_value"])
    op.create_index("ix_origins_country_value", "origins", ["country_value"])
    op.create_table(
        "dependencies",
        *_scan_keys("dependencies"),
        _text("source"),
        _text("target"),
        _text("kind"),
        _text("scope", nullable=True),
        _text("marker", nullable=True),
    )
    op.create_table(
        "findings",
        *_scan_keys("findings"),
        _text("rule"),
        _text("severity"),
        _text("action"),
        _text("purl"),
        _text("message"),
        sa.Column("evidence", JSON, nullable=False),
        _text("waiver", nullable=True),
    )
    op.create_index("ix_findings_rule", "findings", ["rule"])
    op.create_index("ix_findings_purl", "findings", ["purl"])
    op.create_table(
        "diagnostics",
        *_scan_keys("diagnostics"),
        _text("location"),
        _text("message"),
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in ("diagnostics", "findings", "dependencies", "origins", "components"):
        op.drop_table(table)
    op.drop_table("scan_targets")
    op.drop_table("scans")
    op.drop_table("targets")
