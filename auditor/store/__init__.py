"""Every scan, kept in SQLite (default) or PostgreSQL: save, load, list, history, prune.

Public API: `open_store`, `upgrade`, `Store`, `ScanSummary`, `SCHEMA_HEAD`. Callers see
`auditor.model` values only; the SQLAlchemy rows stay inside this package.

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
- `postgresql://` URLs use the psycopg 3 driver (`pip install 'origin-auditor[postgres]'`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from auditor.errors import ScanNotFoundError, StoreError
from auditor.model import DependencyKind, Scan, ScanStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from auditor.store.digest_memo import StoredDigestMemo
    from auditor.store.http_cache import StoredHttpCache

__all__ = ["SCHEMA_HEAD", "ScanSummary", "Store", "open_store", "upgrade"]

SCHEMA_HEAD = "0004"
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
    from auditor.store import engine as schema

    engine = schema.make_engine(url)
    try:
        with schema.errors(engine), engine.connect() as conn:
            current = schema.read_versions(conn)
        if current != (SCHEMA_HEAD,):
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

        Many scanners may save at once: a transaction that loses a deadlock or serialization
        conflict (PostgreSQL) or outwaits SQLite's busy timeout is run again, up to
        SAVE_ATTEMPTS times, so the conflict never reaches the user.
        """
        from auditor.store import codec, models

        rows = codec.encode(scan)
        tables = models.metadata.tables
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return self._save_rows(scan, rows, tables)
            except StoreError as exc:
                # The transaction was rolled back whole, so running it again is safe.
                if attempt + 1 == SAVE_ATTEMPTS or not _transient(exc.__cause__):
                    raise
                time.sleep(0.05 * 2**attempt)

    def _save_rows(self, scan: Scan, rows: Any, tables: Any) -> None:
        """One attempt at save_scan's transaction."""
        from sqlalchemy import insert
        from sqlalchemy.exc import IntegrityError

        from auditor.store.engine import first_line

        try:
            with self._begin(write=True) as conn:
                conn.execute(insert(tables["scans"]), [rows.scan])
                ids = _target_ids(conn, rows.targets)
                placed = [
                    {k: v for k, v in t.items() if k != "identity"}
                    | {"target_id": ids[t["identity"]]}
                    for t in rows.targets
                ]
                for name, items in (
                    ("scan_targets", placed),
                    ("components", rows.components),
                    ("origins", rows.origins),
                    ("dependencies", rows.dependencies),
                    ("findings", rows.findings),
                    ("diagnostics", rows.diagnostics),
                ):
                    if items:  # one executemany per table, never a statement per row
                        conn.execute(
                            insert(tables[name]), [{"scan_id": scan.id} | r for r in items]
                        )
        except IntegrityError as exc:
            raise StoreError(
                f"scan {scan.id}: cannot be saved: {first_line(exc)}",
                hint="scan ids must be unique; was this scan saved before?",
            ) from exc

    def load_scan(self, scan_id: str, detail: bool = True) -> Scan:
        """The stored scan with this id or unique id prefix (at least 4 characters).

        `detail=False` leaves out what grouping by origin never reads (hashes, locations,
        evidence, and every edge but `derived_from`): `auditor origins` on a 100,000-
        component scan loads in a fraction of the time. Such a Scan is for reading only.
        """
        from sqlalchemy import null, select

        from auditor.bulk import no_cyclic_gc
        from auditor.store import codec, models

        t = models.metadata.tables
        with self._begin() as conn:
            sid = _resolve_id(conn, scan_id)
            st, tg = t["scan_targets"], t["targets"]
            targets = conn.execute(
                select(st.c.ref, st.c.kind, st.c.digest, tg.c.identity)
                .join(tg, tg.c.id == st.c.target_id)
                .where(st.c.scan_id == sid)
                .order_by(st.c.position)
            )

            def children(name: str) -> Any:
                table = t[name]
                columns = [
                    c if detail or c.name not in SUMMARY_SKIPS else null().label(c.name)
                    for c in table.c
                ]
                query = select(*columns).where(table.c.scan_id == sid)
                if not detail and name == "dependencies":
                    query = query.where(table.c.kind == DependencyKind.DERIVED_FROM.value)
                return conn.execute(query.order_by(table.c.position))

            scan_row = conn.execute(select(t["scans"]).where(t["scans"].c.id == sid)).one()
            with no_cyclic_gc():
                return codec.decode(
                    scan_row,
                    targets,
                    children("components"),
                    children("origins"),
                    children("dependencies"),
                    children("findings"),
                    children("diagnostics"),
                )

    def list_scans(
        self, target_identity: str | None = None, limit: int | None = None
    ) -> tuple[ScanSummary, ...]:
        """Stored scans, newest first; only those of one target identity when given."""
        from sqlalchemy import func, select

        from auditor.store import codec, models

        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        t = models.metadata.tables
        scans, st, tg = t["scans"], t["scan_targets"], t["targets"]

        def count(name: str) -> Any:
            table = t[name]
            return select(func.count()).where(table.c.scan_id == scans.c.id).scalar_subquery()

        query = _newest_first(
            select(
                scans.c.id,
                scans.c.started_at,
                scans.c.status,
                count("components").label("components"),
                count("findings").label("findings"),
            ),
            target_identity,
        ).limit(limit)
        with self._begin() as conn:
            rows = conn.execute(query).all()
            # The identities of the listed scans: one query, not one per scan.
            chosen = _newest_first(select(scans.c.id), target_identity).limit(limit)
            targets: dict[str, list[str]] = {}
            for scan_id, identity in conn.execute(
                select(st.c.scan_id, tg.c.identity)
                .join(tg, tg.c.id == st.c.target_id)
                .where(st.c.scan_id.in_(chosen.scalar_subquery()))
                .order_by(st.c.scan_id, st.c.position)
            ):
                targets.setdefault(scan_id, []).append(identity)
        return tuple(
            ScanSummary(
                id=r.id,
                started_at=r.started_at,
                status=codec.decode_enum(ScanStatus, r.status, r.id),
                targets=tuple(targets.get(r.id, ())),
                component_count=r.components,
                finding_count=r.findings,
            )
            for r in rows
        )

    def latest_scan(self, target_identity: str) -> str | None:
        """The id of the newest scan of `target_identity`, or None if it was never scanned."""
        from sqlalchemy import select

        from auditor.store import models

        scans = models.metadata.tables["scans"]
        query = _newest_first(select(scans.c.id), target_identity).limit(1)
        with self._begin() as conn:
            found: str | None = conn.execute(query).scalar()
            return found

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
        from sqlalchemy import delete, select

        from auditor.store import models

        if keep_last is None and older_than is None:
            raise ValueError("prune needs keep_last or older_than")
        if keep_last is not None and keep_last < 0:
            raise ValueError(f"keep_last must be >= 0, not {keep_last}")
        if older_than is not None and older_than.tzinfo is None:
            raise ValueError("older_than must be an aware datetime")
        t = models.metadata.tables
        scans, st = t["scans"], t["scan_targets"]
        # One write transaction: what is chosen is what is deleted, even with other writers.
        with self._begin(write=True) as conn:
            rows = conn.execute(_newest_first(select(scans.c.id, scans.c.started_ts), None)).all()
            doomed = {r.id for r in rows}
            if older_than is not None:
                doomed = {
                    r.id
                    for r in rows
                    if r.started_ts is not None and _aware(r.started_ts) < older_than
                }
            if keep_last is not None:
                targets_of: dict[str, list[int]] = {}
                for scan_id, target_id in conn.execute(select(st.c.scan_id, st.c.target_id)):
                    targets_of.setdefault(scan_id, []).append(target_id)
                seen: dict[object, int] = {}
                for r in rows:  # newest first
                    keys: list[object] = list(targets_of.get(r.id, ())) or [("alone", r.id)]
                    kept = False
                    for key in keys:
                        seen[key] = seen.get(key, 0) + 1
                        kept |= seen[key] <= keep_last
                    if kept:
                        doomed.discard(r.id)
            order = [r.id for r in rows if r.id in doomed]
            summaries = self._summaries(conn, order)
            if not dry_run:
                for start in range(0, len(order), 500):  # bounded IN lists
                    chunk = order[start : start + 500]
                    conn.execute(delete(scans).where(scans.c.id.in_(chunk)))
        return summaries

    def _summaries(self, conn: Connection, ids: list[str]) -> tuple[ScanSummary, ...]:
        """Summaries of these scans, in this order (on an open transaction)."""
        from sqlalchemy import func, select

        from auditor.store import codec, models

        t = models.metadata.tables
        scans, st, tg = t["scans"], t["scan_targets"], t["targets"]
        found: dict[str, ScanSummary] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            targets: dict[str, list[str]] = {}
            for scan_id, ident in conn.execute(
                select(st.c.scan_id, tg.c.identity)
                .join(tg, tg.c.id == st.c.target_id)
                .where(st.c.scan_id.in_(chunk))
                .order_by(st.c.scan_id, st.c.position)
            ):
                targets.setdefault(scan_id, []).append(ident)

            def count(name: str) -> Any:
                table = t[name]
                return select(func.count()).where(table.c.scan_id == scans.c.id).scalar_subquery()

            for r in conn.execute(
                select(
                    scans.c.id,
                    scans.c.started_at,
                    scans.c.status,
                    count("components").label("components"),
                    count("findings").label("findings"),
                ).where(scans.c.id.in_(chunk))
            ):
                found[r.id] = ScanSummary(
                    id=r.id,
                    started_at=r.started_at,
                    status=codec.decode_enum(ScanStatus, r.status, r.id),
                    targets=tuple(targets.get(r.id, ())),
                    component_count=r.components,
                    finding_count=r.findings,
                )
        return tuple(found[i] for i in ids)

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


# --- queries -----------------------------------------------------------------------------


def _transient(cause: BaseException | None) -> bool:
    """A database error that a new attempt of the same transaction can get past."""
    orig = getattr(cause, "orig", None)
    if getattr(orig, "sqlstate", None) in ("40001", "40P01"):  # serialization, deadlock
        return True
    return "database is locked" in str(orig)  # SQLite: busy timeout ran out


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; started_ts is always UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _newest_first(query: Any, target_identity: str | None) -> Any:
    """`query` over `scans`, restricted to one target's history, newest first."""
    from sqlalchemy import select

    from auditor.store import models

    t = models.metadata.tables
    scans, st, tg = t["scans"], t["scan_targets"], t["targets"]
    if target_identity is not None:
        query = query.where(
            scans.c.id.in_(
                select(st.c.scan_id)
                .join(tg, tg.c.id == st.c.target_id)
                .where(tg.c.identity == target_identity)
            )
        )
    # started_ts is NULL for a non-ISO started_at; those sort last, by their text.
    return query.order_by(
        scans.c.started_ts.desc().nulls_last(), scans.c.started_at.desc(), scans.c.id.desc()
    )


def _resolve_id(conn: Connection, scan_id: str) -> str:
    """The full id for an exact id or a unique prefix of at least MIN_PREFIX characters."""
    from sqlalchemy import func, select

    from auditor.store import models

    scans = models.metadata.tables["scans"]
    if conn.execute(select(scans.c.id).where(scans.c.id == scan_id)).scalar() is not None:
        return scan_id
    if len(scan_id) >= MIN_PREFIX:
        # substr, not LIKE: LIKE is case-insensitive on SQLite and treats % and _ specially.
        matches: list[str] = list(
            conn.execute(
                select(scans.c.id)
                .where(func.substr(scans.c.id, 1, len(scan_id)) == scan_id)
                .order_by(scans.c.id)
                .limit(3)
            )
            .scalars()
            .all()
        )
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(matches[:2]) + (" …" if len(matches) > 2 else "")
            raise StoreError(
                f"scan {scan_id}: ambiguous id prefix, matches {shown}",
                hint="give more characters of the scan id",
            )
    raise ScanNotFoundError(
        f"scan {scan_id}: not found",
        hint=f"`auditor history` lists stored scans; give a full id or at least {MIN_PREFIX}"
        " of its first characters",
    )


def _target_ids(conn: Connection, targets: list[dict[str, Any]]) -> dict[str, int]:
    """Row ids for these targets' identities, inserting new ones; safe when many scanners
    insert the same identity at once (the unique index arbitrates, losers do nothing)."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from auditor.store import models

    table = models.metadata.tables["targets"]
    first: dict[str, dict[str, Any]] = {}
    for target in targets:
        first.setdefault(target["identity"], target)
    if not first:
        return {}
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # Sorted, so two transactions take the index locks in the same order and cannot deadlock.
    values = [
        {"identity": i, "kind": first[i]["kind"], "ref": first[i]["ref"]} for i in sorted(first)
    ]
    conn.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=["identity"]), values)
    found = conn.execute(
        select(table.c.identity, table.c.id).where(table.c.identity.in_(sorted(first)))
    )
    return {row.identity: row.id for row in found}
