"""Every scan, kept in SQLite (default) or PostgreSQL: save, load, list, history, prune.

Public API: `open_store`, `upgrade`, `Store`, `ScanSummary`, `SCHEMA_HEAD`. Callers see
`auditor.model` values only; the SQLAlchemy rows stay inside this package. This module is
the API (opening, transactions, retries, argument checks); the statements are `queries.py`,
the row mapping `codec.py`, the schema `models.py`, connections and migrations `engine.py`.

Speed matters (a whole scan of ~100 packages should take < 0.8 s): importing this module
imports no SQLAlchemy, and opening a store whose schema is current costs one SELECT on
alembic's own `alembic_version` table. Alembic itself is imported only when the schema is
missing or older than `SCHEMA_HEAD`, or by an explicit `upgrade`.

Decisions callers can rely on:
- `load_scan(s.id) == s` for every Scan whose strings hold no NUL character. NUL cannot be
  stored in PostgreSQL text or JSONB, so `save_scan` rejects it with StoreError on every
  backend (one behaviour, whichever database is configured).
- Times are kept as the ISO text the Scan holds (see models.py); history orders by a parsed
  UTC copy, with unparsable times last.
- `postgresql://` URLs use the psycopg 3 driver (`pip install -e ".[postgres]"` from a checkout).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from auditor.errors import StoreError
from auditor.model import Scan, ScanStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from auditor.store.codec import ScanRows
    from auditor.store.digest_memo import StoredDigestMemo
    from auditor.store.http_cache import StoredHttpCache

__all__ = ["SCHEMA_HEAD", "ScanSummary", "Store", "open_store", "upgrade"]

SCHEMA_HEAD = "0009"
"""The newest migration this version ships; a test keeps it equal to alembic's head."""

SUMMARY_SKIPS = frozenset({"hashes", "locations", "evidence", "files"})
"""JSON columns a `detail=False` load leaves empty."""

MIN_PREFIX = 4
"""Shortest scan id prefix accepted, as with git's abbreviated hashes."""

SAVE_ATTEMPTS = 4
"""Tries of one save when concurrent writers conflict (see Store.save_scan)."""


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """One line of `auditor history`."""

    id: str
    started_at: str
    status: ScanStatus
    targets: tuple[str, ...]
    """Target identities, in the scan's order."""
    component_count: int
    finding_count: int


def open_store(url: str | None) -> Store:
    """A store at SQLAlchemy `url`, or SQLite in the user data folder when None.

    Creates or upgrades the schema on first use; StoreError when the database cannot be
    reached or was migrated by a newer origin-auditor.
    """
    return finish_opening(*connect(url))


def connect(url: str | None) -> tuple[Engine, bool]:
    """The engine for `url` and whether its schema is current (one SELECT): the part of
    `open_store` that may run on a background thread while a scan collects."""
    from auditor.store import engine as schema

    engine = schema.make_engine(url)
    try:
        with schema.errors(engine), engine.connect() as conn:
            return engine, schema.read_versions(conn) == (SCHEMA_HEAD,)
    except BaseException:
        engine.dispose()
        raise


def finish_opening(engine: Engine, current: bool) -> Store:
    """The store over a `connect`ed engine, migrated first unless current (on the caller's
    thread: alembic's migration context is process-global)."""
    if not current:
        from auditor.store import engine as schema

        try:
            schema.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
    return Store(engine)


def upgrade(url: str | None) -> str:
    """Run every pending migration (`auditor db upgrade`); returns the revision now in force."""
    from auditor.store import engine as schema

    engine = schema.make_engine(url)
    try:
        return schema.migrate(engine)
    finally:
        engine.dispose()


class Store:
    """An open database of scans; use `open_store` to make one, `close` when done."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def http_cache(self) -> StoredHttpCache:
        """The registry-answer cache kept in this database."""
        from auditor.store.http_cache import StoredHttpCache

        return StoredHttpCache(self._engine)

    def digest_memo(self) -> StoredDigestMemo:
        """File digests kept between scans (a rescan of unchanged files hashes nothing)."""
        from auditor.store.digest_memo import StoredDigestMemo

        return StoredDigestMemo(self._engine)

    def save_scan(self, scan: Scan) -> None:
        """Store `scan` in one transaction; StoreError if its id is taken or a text holds NUL.
        `scan.evaluation` (number 1, what `run_scan` judged it against) is stored with it;
        a re-evaluation is `save_evaluation`'s (ValueError here).

        Many scanners may save at once: a transaction that loses a deadlock or serialization
        conflict (PostgreSQL) or outwaits SQLite's busy timeout is run again, up to
        SAVE_ATTEMPTS times, so the conflict never reaches the user.
        """
        from auditor.store import codec

        rows = codec.encode(scan)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return self._save_rows(scan, rows)
            except StoreError as exc:
                # The transaction was rolled back whole, so running it again is safe.
                if attempt + 1 == SAVE_ATTEMPTS or not _transient(exc.__cause__):
                    raise
                time.sleep(0.05 * 2**attempt)

    def _save_rows(self, scan: Scan, rows: ScanRows) -> None:
        """One attempt at save_scan's transaction."""
        from sqlalchemy.exc import IntegrityError

        from auditor.store import queries
        from auditor.store.engine import first_line

        try:
            with self._begin(write=True) as conn:
                queries.insert_scan(conn, scan, rows)
        except IntegrityError as exc:
            raise StoreError(
                f"scan {scan.id}: cannot be saved: {first_line(exc)}",
                hint="scan ids must be unique; was this scan saved before?",
            ) from exc

    def save_evaluation(self, scan: Scan) -> None:
        """Store a re-evaluation of a stored scan (`scan` loaded, judged again, with
        `scan.evaluation` numbered one past the newest): its findings, the origins it
        changed and what it was judged against, in one transaction. StoreError when the
        scan is gone or another re-evaluation took that number first."""
        from auditor.store import codec, queries

        if scan.evaluation is None or scan.evaluation.number < 2:
            raise ValueError("save_evaluation needs an Evaluation numbered 2 or more")
        for part, value in (("findings", [codec.finding_row(i, f, 0) for i, f in
                                           enumerate(scan.findings)]),
                            ("origins", [codec.origin_row(i, o) for i, o in
                                         enumerate(scan.origins)])):  # fmt: skip
            codec.reject_nul(scan.id, part, value)
        with self._begin(write=True) as conn:
            queries.insert_evaluation(conn, scan, scan.tool_version)

    def load_scan(self, scan_id: str, detail: bool = True, evaluation: int | None = None) -> Scan:
        """The stored scan with this id or unique id prefix (at least 4 characters), as its
        newest evaluation judged it (`evaluation`: that one; 1 is the scan's own).

        `detail=False` leaves out what grouping by origin never reads (hashes, locations,
        evidence, and every edge but `derived_from`): `auditor origins` on a 100,000-
        component scan loads in a fraction of the time. Such a Scan is for reading only.
        """
        from auditor.store import queries

        with self._begin() as conn:
            return queries.load(conn, scan_id, detail, evaluation)

    def list_scans(
        self, target_identity: str | None = None, limit: int | None = None
    ) -> tuple[ScanSummary, ...]:
        """Stored scans, newest first; only those of one target identity when given."""
        from auditor.store import queries

        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        from auditor.store.engine import check_pages

        with self._begin() as conn:
            check_pages(conn)
            return queries.list_summaries(conn, target_identity, limit)

    def latest_scan(self, target_identity: str) -> str | None:
        """The id of the newest scan of `target_identity`, or None if it was never scanned."""
        from auditor.store import queries

        with self._begin() as conn:
            return queries.latest(conn, target_identity)

    def prune(
        self,
        keep_last: int | None = None,
        older_than: datetime | None = None,
        dry_run: bool = False,
    ) -> tuple[ScanSummary, ...]:
        """Delete whole scans (their rows cascade); the deleted (or, dry run, doomed) ones.

        `keep_last`: a scan goes unless it is among the `keep_last` newest of at least one
        of its targets (a scan with no target counts as its own target). `older_than`: a
        scan goes when it started before this time; a scan whose start time is not ISO 8601
        is kept. Both given: a scan goes when both say so. Target rows stay (an identity
        registry of a few bytes each): deleting them would race with a scanner that is
        saving a new scan of that target.
        """
        from auditor.store import queries

        if keep_last is None and older_than is None:
            raise ValueError("prune needs keep_last or older_than")
        if keep_last is not None and keep_last < 0:
            raise ValueError(f"keep_last must be >= 0, not {keep_last}")
        if older_than is not None and older_than.tzinfo is None:
            raise ValueError("older_than must be an aware datetime")
        # One write transaction: what is chosen is what is deleted, even with other writers.
        with self._begin(write=True) as conn:
            order = queries.doomed(conn, keep_last, older_than)
            summaries = queries.summaries(conn, order)
            if not dry_run:
                queries.delete_scans(conn, order)
        return summaries

    @contextmanager
    def _begin(self, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction, database errors as StoreError; a read sees one
        consistent snapshot."""
        from auditor.store.engine import WRITE, errors

        with errors(self._engine), self._engine.connect() as conn:
            if write:
                conn.execution_options(**WRITE)
            elif conn.dialect.name == "postgresql":
                # Several SELECTs make one answer; without this a concurrent prune could
                # leave a scan half-read under READ COMMITTED.
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn


def _transient(cause: BaseException | None) -> bool:
    """A database error that a new attempt of the same transaction can get past."""
    orig = getattr(cause, "orig", None)
    if getattr(orig, "sqlstate", None) in ("40001", "40P01"):  # serialization, deadlock
        return True
    return "database is locked" in str(orig)  # SQLite: busy timeout ran out
