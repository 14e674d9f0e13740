"""The store's tables, declared with SQLAlchemy Core.

These rows never leave `auditor.store`: callers see `auditor.model` dataclasses only.
Every change here needs a new migration in `migrations/versions/`; a test compares these
tables with the migrated schema on SQLite and PostgreSQL.

Why Core and not ORM-declarative classes: the store only ever bulk-inserts and selects
whole tables, never maps objects, and `sqlalchemy.orm` plus the PostgreSQL dialect cost
~0.1 s of every command's start-up, a sixth of a whole small scan.

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

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Deterministic constraint names, so migrations can name what they alter and autogenerate
# comparisons are stable across backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Document(TypeDecorator[Any]):
    """JSON; JSONB on PostgreSQL, whose dialect is imported only when one is used."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """JSONB for PostgreSQL (indexable, de-duplicated), JSON elsewhere."""
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def _text(name: str, *, nullable: bool = False, index: bool = False) -> Column[str]:
    return Column(name, String(), nullable=nullable, index=index)


def _scan_child(name: str, *columns: Column[Any]) -> Table:
    """A per-scan table: keyed (scan_id, position); deleting a scan deletes its rows."""
    return Table(
        name,
        metadata,
        Column("scan_id", String(), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
        Column("position", Integer(), primary_key=True, autoincrement=False),
        *columns,
    )


targets = Table(
    "targets",
    metadata,
    Column("id", Integer(), primary_key=True),
    # One row per target identity, shared by every scan of it (the unit of history).
    Column("identity", String(), nullable=False, unique=True),
    _text("kind"),  # as first seen; each scan keeps its own in scan_targets
    _text("ref"),  # as first seen, for display
)

scans = Table(
    "scans",
    metadata,
    Column("id", String(), primary_key=True),
    _text("started_at"),
    # started_at parsed and in UTC, or NULL when it is not ISO 8601: for ordering only.
    Column("started_ts", DateTime(timezone=True), nullable=True, index=True),
    _text("finished_at"),
    _text("status"),
    _text("tool_version"),
    _text("policy_version", nullable=True),
    _text("host", nullable=True),
    Column("extra", Document(), nullable=False),
    # What changed since the previous scan of the same targets, as counted when this scan
    # was made (0006); NULL when no history was consulted and in scans stored before 0006.
    Column("changes", Document(), nullable=True),
    # The newest evaluation (0009): 1 is the scan's own, `auditor rescreen` adds 2, 3 …;
    # its findings are the rows of `findings` with this `evaluation`.
    Column("evaluation", Integer(), nullable=False, server_default="1"),
)

scan_targets = _scan_child(
    "scan_targets",
    Column("target_id", Integer(), ForeignKey("targets.id"), nullable=False, index=True),
    _text("ref"),
    _text("kind"),
    _text("digest"),
)

components = _scan_child(
    "components",
    _text("purl", index=True),
    _text("kind"),
    _text("name"),
    _text("version", nullable=True),
    _text("license", nullable=True),
    Column("direct", Boolean(), nullable=True),
    _text("found_by"),
    Column("hashes", Document(), nullable=False),
    Column("locations", Document(), nullable=False),
    Column("evidence", Document(), nullable=False),
    # The files of a model/dataset revision; NULL in scans stored before migration 0003.
    Column("files", Document(), nullable=True),
)

origins = _scan_child(
    "origins",
    _text("purl", index=True),
    _text("status"),
    _text("reason", nullable=True),
    # Four claims, flattened so fleet queries ("everything from country X") are plain filters.
    _text("publisher_value", nullable=True),
    _text("publisher_strength", nullable=True),
    _text("repository_value", nullable=True),
    _text("repository_strength", nullable=True),
    _text("organisation_value", nullable=True, index=True),
    _text("organisation_strength", nullable=True),
    _text("country_value", nullable=True, index=True),
    _text("country_strength", nullable=True),
    # organisation | individual; NULL when unknown and in scans stored before migration 0004.
    _text("publisher_kind", nullable=True),
    Column("roots", Document(), nullable=False),
    Column("conflicts", Document(), nullable=False),
    Column("evidence", Document(), nullable=False),
)

dependencies = _scan_child(
    "dependencies",
    _text("source"),
    _text("target"),
    _text("kind"),
    _text("scope", nullable=True),
    _text("marker", nullable=True),
)

findings = _scan_child(
    "findings",
    _text("rule", index=True),
    _text("severity"),
    _text("action"),
    _text("purl", index=True),
    _text("message"),
    Column("evidence", Document(), nullable=False),
    _text("waiver", nullable=True),
    # Which evaluation of the scan made the row (0009); positions run on across evaluations.
    Column("evaluation", Integer(), nullable=False, server_default="1"),
)

diagnostics = _scan_child(
    "diagnostics",
    _text("location"),
    _text("message"),
)

http_cache = Table(
    "http_cache",
    metadata,
    # Keyed by registry role and path (`pypi:/pypi/requests/2.32.3/json`), never by URL:
    # the host may be a mirror and a configured URL may carry credentials.
    Column("key", String(), primary_key=True),
    Column("status", Integer(), nullable=False),
    Column("body", LargeBinary(), nullable=False),  # zlib: registry JSON shrinks ~tenfold
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    _text("etag", nullable=True),
    _text("last_modified", nullable=True),
    Column("immutable", Boolean(), nullable=False),
)

digest_memo = Table(
    "digest_memo",
    metadata,
    # One row per file and algorithm: a rehash replaces the row, so the memo never grows
    # past the files that exist. `stat` is "size:mtime_ns:inode" as text, since an inode
    # can exceed a signed 64-bit integer; `ctime_ns` (0004) is what a user cannot set back.
    # A digest is served only while all four match.
    Column("path", String(), primary_key=True),
    Column("algorithm", String(), primary_key=True),
    _text("stat"),
    _text("ctime_ns", nullable=True),
    _text("digest"),
)

hash_index = Table(
    "hash_index",
    metadata,
    # digest → the repo file it is (auditor.hashing.KnownFile), from Hub answers, Hugging Face
    # caches and Ollama manifests seen by earlier scans (or imported from a team's snapshot):
    # a weight file copied elsewhere under another name is known again by its bytes. One row
    # per (digest, repo, revision, path); a stronger or newer sighting replaces the row.
    # `sha256` holds KnownFile.digest: a sha256, or `git-sha1:<hex>` (a git blob id).
    Column("sha256", String(), primary_key=True),
    Column("repo", String(), primary_key=True),
    Column("revision", String(), primary_key=True),
    Column("path", String(), primary_key=True),
    _text("source"),
    _text("strength"),
    _text("recorded_at"),
)

# --- Fleet and portfolio (issue 35) -------------------------------------------------------

fleet_jobs = Table(
    "fleet_jobs",
    metadata,
    # One row per target of one `fleet submit`: the fleet's state lives here, not in the
    # broker, so `fleet status` answers from any machine that reaches the store.
    Column("job_id", String(), primary_key=True),
    Column("position", Integer(), primary_key=True, autoincrement=False),
    _text("target"),
    Column("line", Integer(), nullable=False),  # in the targets file, for messages
    _text("state"),  # queued | running | done | failed
    Column("attempts", Integer(), nullable=False),
    _text("worker", nullable=True),
    # The scan's id is derived from (job_id, target): a redelivered task finds it saved.
    _text("scan_id", nullable=True),
    _text("error", nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("job_id", "target"),
)

portfolio_rollups = _scan_child(
    "portfolio_rollups",
    # One scan's `origin_groups` (auditor.graph.queries), counted once when the scan is
    # indexed, so portfolio answers sum a few rows per target instead of re-tracing
    # thousands of components. facet `components` (value NULL) holds the scan's total and
    # marks the scan as indexed.
    _text("facet"),
    _text("value", nullable=True),
    Column("components", Integer(), nullable=False),
    Column("direct", Integer(), nullable=False),
    Column("transitive", Integer(), nullable=False),
    Column("packages", Integer(), nullable=False),
    Column("models", Integer(), nullable=False),
)

# `portfolio where`: a purl prefix (`pkg:huggingface/Qwen/%`) is a range scan only with
# text_pattern_ops under a non-C collation; a bare name is an equality on `name`. The
# operator class is given in migration 0008 only: a `postgresql_ops` argument here makes
# SQLAlchemy import the PostgreSQL dialect to check it (~40 ms on every command that opens
# a store, SQLite ones too), and the schema comparison does not look at operator classes.
Index("ix_components_purl_pattern", components.c.purl)
Index("ix_components_name", components.c.name)

# --- Re-evaluations of stored scans (issue 34) --------------------------------------------

evaluations = Table(
    "evaluations",
    metadata,
    # One row per evaluation: what it was judged against, so a report can say "evaluation 2,
    # re-screened on … against lists …". Number 1 is the scan's own, written with the scan
    # (absent for scans saved before it was recorded); re-evaluations are 2 onwards.
    Column("scan_id", String(), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer(), primary_key=True, autoincrement=False),
    _text("evaluated_at"),
    _text("tool_version"),
    _text("policy_version", nullable=True),
    _text("knowledge_base"),
    Column("lists", Document(), nullable=False),  # [{"id", "version"}]
    Column("new", Integer(), nullable=False),
    Column("cleared", Integer(), nullable=False),
)

evaluation_origins = Table(
    "evaluation_origins",
    metadata,
    # Only the origins a re-evaluation changed (a parent chain, a new organisation), keyed by
    # their position in `origins`, each the codec's origin row as one document: the rest of
    # the evaluation's origins are the scan's own.
    Column("scan_id", String(), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("evaluation", Integer(), primary_key=True, autoincrement=False),
    Column("position", Integer(), primary_key=True, autoincrement=False),
    Column("origin", Document(), nullable=False),
)
