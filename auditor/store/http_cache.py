"""The HTTP cache kept in the store: one table, shared by every scanner of a database.

Reads go straight to the database (a primary-key lookup); writes are buffered during a
scan and written in one transaction by `flush`, so sixteen resolver threads never contend
for SQLite's single writer lock.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from auditor.hashing import HASH_INDEX_PREFIX, KnownFile, parse_index_body
from auditor.http import CachedResponse

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class StoredHttpCache:
    """`auditor.http.HttpCache` over the store's `http_cache` table."""

    def __init__(self, engine: Engine) -> None:
        from auditor.store import models

        self._engine = engine
        self._table = models.metadata.tables["http_cache"]
        self._pending: dict[str, CachedResponse] = {}
        self._loaded: dict[str, CachedResponse] = {}
        self._absent: set[str] = set()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedResponse | None:
        """The kept answer, including one buffered in this scan but not yet written."""
        from sqlalchemy import select

        from auditor.store.engine import errors

        with self._lock:
            if key in self._pending:
                return self._pending[key]
            if key in self._loaded:
                return self._loaded[key]
            if key in self._absent:
                return None
        with errors(self._engine), self._engine.connect() as conn:
            row = conn.execute(select(self._table).where(self._table.c.key == key)).first()
        return None if row is None else _decode(row)

    def prefetch(self, keys: Iterable[str]) -> None:
        """Load the kept answers for `keys` with one query per 500 keys."""
        from sqlalchemy import select

        from auditor.store.engine import errors

        wanted = sorted(set(keys))
        loaded: dict[str, CachedResponse] = {}
        with errors(self._engine), self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(self._table).where(self._table.c.key.in_(chunk))
                loaded.update((row.key, _decode(row)) for row in conn.execute(query))
        with self._lock:
            self._loaded.update(loaded)
            # Asked for and not kept: `get` answers None without a query of its own (a scan
            # whose GitHub endpoint is dead asked once per component).
            self._absent.update(k for k in wanted if k not in loaded)

    def put(self, key: str, response: CachedResponse) -> None:
        """Buffer an answer until `flush`."""
        with self._lock:
            self._pending[key] = response

    def flush(self) -> None:
        """Write every buffered answer in one transaction (newest wins on conflict)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        self.put_many(pending.items())

    def put_many(self, entries: Iterable[tuple[str, CachedResponse]]) -> int:
        """Upsert answers; returns how many were written. `hash-index:<digest>` entries (a
        snapshot's copy of the hash index) go to the hash index."""
        entries = list(entries)
        written = 0
        if any(k.startswith(HASH_INDEX_PREFIX) for k, _ in entries):
            from auditor.store import hash_index

            files = [
                f
                for k, r in entries
                if k.startswith(HASH_INDEX_PREFIX)
                for f in known_files(k[len(HASH_INDEX_PREFIX) :], r.body)
            ]
            written = hash_index.record(self._engine, files)
        rows = [_encode(k, r) for k, r in entries if not k.startswith(HASH_INDEX_PREFIX)]
        return written + self._put_rows(rows)

    def _put_rows(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0  # before the dialect imports: a warm scan writes nothing (~0.2 s)
        from auditor.store.engine import WRITE, dialect_insert, errors

        with errors(self._engine), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            stmt = dialect_insert(conn, self._table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={c: stmt.excluded[c] for c in rows[0] if c != "key"},
                where=self._table.c.fetched_at <= stmt.excluded.fetched_at,
            )
            with conn.begin():
                # Sorted keys: concurrent flushes lock rows in one order and cannot deadlock.
                conn.execute(stmt, sorted(rows, key=lambda r: r["key"]))
        return len(rows)

    def entries(self) -> Iterator[tuple[str, CachedResponse]]:
        """Every kept answer, by key (for `auditor cache export`)."""
        from sqlalchemy import select

        from auditor.store.engine import errors

        with errors(self._engine), self._engine.connect() as conn:
            for row in conn.execute(select(self._table).order_by(self._table.c.key)):
                yield row.key, _decode(row)
        yield from _index_entries(self._engine)


def _index_entries(engine: Engine) -> Iterator[tuple[str, CachedResponse]]:
    """The hash index as snapshot entries, one per digest (a JSON list of its files)."""
    from auditor.store import hash_index

    now = datetime.now(UTC)
    by_digest: dict[str, list[dict[str, str]]] = {}
    for f in hash_index.entries(engine):
        by_digest.setdefault(f.digest, []).append(
            {k: getattr(f, k) for k in ("repo", "revision", "path", "source", "strength")}
        )
    for digest, files in by_digest.items():
        body = json.dumps(files, separators=(",", ":"), sort_keys=True).encode()
        yield f"{HASH_INDEX_PREFIX}{digest}", CachedResponse(200, body, now, None, None, True)


def _encode(key: str, response: CachedResponse) -> dict[str, Any]:
    return {
        "key": key,
        "status": response.status,
        "body": zlib.compress(response.body, 6),
        "fetched_at": response.fetched_at,
        "etag": response.etag,
        "last_modified": response.last_modified,
        "immutable": response.immutable,
    }


def _decode(row: Any) -> CachedResponse:
    fetched = row.fetched_at
    if fetched.tzinfo is None:  # SQLite keeps no zone; we only ever write UTC
        fetched = fetched.replace(tzinfo=UTC)
    return CachedResponse(
        status=row.status,
        body=zlib.decompress(row.body),
        fetched_at=fetched,
        etag=row.etag,
        last_modified=row.last_modified,
        immutable=row.immutable,
    )


def known_files(digest: str, body: bytes) -> list[KnownFile]:
    """A snapshot's `hash-index:` entry body as entries (validated by auditor.snapshot)."""
    return [KnownFile(digest=digest, **item) for item in parse_index_body(body)]
