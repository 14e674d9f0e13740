"""The store's tables as SQLAlchemy 2 declarative models.

These rows never leave `auditor.store`: callers see `auditor.model` dataclasses only.
Every change here needs a new migration in `migrations/versions/`; a test compares these
models with the migrated schema on SQLite and PostgreSQL.

Design notes (many scanners writing to one PostgreSQL, history and diffs later):
- A scan's children are keyed `(scan_id, position)`: the position keeps tuple order for an
  exact round trip, and the key's leading column serves every "rows of this scan" lookup,
  so no separate index on `scan_id` is needed.
- Vocabularies (status, kind, severity …) are plain strings, not database enums, so adding
  a member never needs an `ALTER TYPE` migration.
- Nested lists (hashes, locations, evidence, roots) are JSON (JSONB on PostgreSQL, where
  fleet queries can index into them); columns are kept for what gets filtered or joined on.
- Times stay ISO 8601 text, exactly as the Scan holds them, so load(save(scan)) == scan
  holds for any string (a TIMESTAMP would normalise offsets and precision). A parsed,
  UTC-normalised `started_ts` beside it gives history a real time order and index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")
"""Portable JSON; JSONB on PostgreSQL for indexable, de-duplicated storage."""

# Deterministic constraint names, so migrations can name what they alter and autogenerate
# comparisons are stable across backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base holding the store's metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON_TYPE,
        list[Any]: JSON_TYPE,
    }


def _scan_fk() -> Any:
    """The foreign key every child row has: deleting a scan deletes its rows."""
    return ForeignKey("scans.id", ondelete="CASCADE")


class TargetRow(Base):
    """One target identity, shared by every scan of it (the unit of history)."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str]
    """The kind when first seen; each scan keeps its own in `scan_targets`."""
    ref: Mapped[str]
    """The ref when first seen, for display."""


class ScanRow(Base):
    """One run."""

    __tablename__ = "scans"

    id: Mapped[str] = mapped_column(primary_key=True)
    started_at: Mapped[str]
    started_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    """`started_at` parsed and in UTC, or NULL when it is not ISO 8601: for ordering only."""
    finished_at: Mapped[str]
    status: Mapped[str]
    tool_version: Mapped[str]
    policy_version: Mapped[str | None]
    host: Mapped[str | None]
    extra: Mapped[dict[str, Any]]
    """Room for scan-level fields that do not deserve a column (yet)."""


class ScanTargetRow(Base):
    """A target as one scan saw it."""

    __tablename__ = "scan_targets"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    ref: Mapped[str]
    kind: Mapped[str]
    digest: Mapped[str]


class ComponentRow(Base):
    """A component found by one scan."""

    __tablename__ = "components"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    purl: Mapped[str] = mapped_column(index=True)
    kind: Mapped[str]
    name: Mapped[str]
    version: Mapped[str | None]
    license: Mapped[str | None]
    direct: Mapped[bool | None]
    found_by: Mapped[str]
    hashes: Mapped[list[Any]]
    locations: Mapped[list[Any]]
    evidence: Mapped[list[Any]]


class OriginRow(Base):
    """The origin verdict on one component of one scan."""

    __tablename__ = "origins"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    purl: Mapped[str] = mapped_column(index=True)
    status: Mapped[str]
    reason: Mapped[str | None]
    # Four claims, flattened so fleet queries ("everything from country X") are plain filters.
    publisher_value: Mapped[str | None]
    publisher_strength: Mapped[str | None]
    repository_value: Mapped[str | None]
    repository_strength: Mapped[str | None]
    organisation_value: Mapped[str | None] = mapped_column(index=True)
    organisation_strength: Mapped[str | None]
    country_value: Mapped[str | None] = mapped_column(index=True)
    country_strength: Mapped[str | None]
    roots: Mapped[list[Any]]
    conflicts: Mapped[list[Any]]
    evidence: Mapped[list[Any]]


class DependencyRow(Base):
    """An edge between two components of one scan."""

    __tablename__ = "dependencies"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str]
    target: Mapped[str]
    kind: Mapped[str]
    scope: Mapped[str | None]
    marker: Mapped[str | None]


class FindingRow(Base):
    """A rule's verdict in one scan."""

    __tablename__ = "findings"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(index=True)
    severity: Mapped[str]
    action: Mapped[str]
    purl: Mapped[str] = mapped_column(index=True)
    message: Mapped[str]
    evidence: Mapped[list[Any]]
    waiver: Mapped[str | None]


class DiagnosticRow(Base):
    """A non-fatal problem recorded by one scan."""

    __tablename__ = "diagnostics"

    scan_id: Mapped[str] = mapped_column(_scan_fk(), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str]
    message: Mapped[str]


class HttpCacheRow(Base):
    """A registry answer kept between scans (and shared by every scanner of one database).

    Keyed by registry role and path (`pypi:/pypi/requests/2.32.3/json`), never by URL: the
    host may be a mirror and a configured URL may carry credentials.
    """

    __tablename__ = "http_cache"

    key: Mapped[str] = mapped_column(primary_key=True)
    status: Mapped[int]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    """zlib-compressed: registry JSON compresses about tenfold."""
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    immutable: Mapped[bool]
