"""The digest memo kept in the store: file digests by (path, size, mtime_ns, inode, ctime_ns).

A rescan of an unchanged model cache then reads no file content at all. Lookups are
batched (one query per 500 paths); new digests are written in one transaction at the end
of a hashing round, so hashing threads never contend for SQLite's writer lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from auditor.hashing import DigestMemo, KnownFile, MemoKey

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BATCH = 500
"""Bounded IN lists: SQLite's default variable limit is far above, PostgreSQL's plans stay fast."""


def _stat(key: MemoKey) -> str:
    _, size, mtime_ns, inode, _ = key.stat_key
    return f"{size}:{mtime_ns}:{inode}"


def _ctime(key: MemoKey) -> str:
    return str(key.stat_key[4])


class StoredDigestMemo(DigestMemo):
    """`auditor.hashing.DigestMemo` over the store's `digest_memo` table."""

    def __init__(self, engine: Engine) -> None:
        from auditor.store import models

        self._engine = engine
        self._table = models.metadata.tables["digest_memo"]

    def lookup(self, keys: Iterable[MemoKey]) -> dict[MemoKey, str]:
        """Digests recorded for exactly these files as they are now."""
        from sqlalchemy import select, tuple_

        from auditor.store.engine import errors

        wanted: dict[tuple[str, str], list[MemoKey]] = {}
        for k in keys:
            wanted.setdefault((k.stat_key[0], str(k.algorithm)), []).append(k)
        found: dict[MemoKey, str] = {}
        pairs = sorted(wanted)
        t = self._table
        with errors(self._engine), self._engine.connect() as conn:
            for start in range(0, len(pairs), BATCH):
                chunk = pairs[start : start + BATCH]
                query = select(t.c.path, t.c.algorithm, t.c.stat, t.c.ctime_ns, t.c.digest).where(
                    tuple_(t.c.path, t.c.algorithm).in_(chunk)
                )
                for row in conn.execute(query):
                    for key in wanted[(row.path, row.algorithm)]:
                        # A changed file never matches its old row; nor does one whose
                        # mtime was put back (its ctime moved on).
                        if row.stat == _stat(key) and row.ctime_ns == _ctime(key):
                            found[key] = row.digest
        return found

    def known_files(self, digests: Iterable[str]) -> dict[str, tuple[KnownFile, ...]]:
        """The hash index's entries for these digests (auditor.store.hash_index)."""
        from auditor.store import hash_index

        return hash_index.lookup(self._engine, digests)

    def record_files(self, files: Iterable[KnownFile]) -> None:
        """Keep hash-index entries."""
        from auditor.store import hash_index

        hash_index.record(self._engine, files)

    def record(self, digests: Mapping[MemoKey, str]) -> None:
        """Upsert digests (a rehashed file replaces its row)."""
        from auditor.store.engine import WRITE, dialect_insert, errors

        rows = sorted(
            (
                {"path": k.stat_key[0], "algorithm": str(k.algorithm)}
                | {"stat": _stat(k), "ctime_ns": _ctime(k), "digest": digest}
                for k, digest in digests.items()
            ),
            key=lambda r: (r["path"], r["algorithm"]),  # one lock order: no deadlocks
        )
        if not rows:
            return
        with errors(self._engine), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            stmt = dialect_insert(conn, self._table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["path", "algorithm"],
                set_={
                    "stat": stmt.excluded.stat,
                    "ctime_ns": stmt.excluded.ctime_ns,
                    "digest": stmt.excluded.digest,
                },
            )
            with conn.begin():
                for start in range(0, len(rows), BATCH):
                    conn.execute(stmt, rows[start : start + BATCH])
