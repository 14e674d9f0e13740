"""The hash index kept in the store (`hash_index`): digest → the repo files it was seen as.

The `sha256` column holds `KnownFile.digest`: a sha256, or `git-sha1:<hex>` for a git blob id
(no migration: a 64-hex sha256 and the prefixed form never collide).

Read and written through the digest memo's hooks (`auditor.hashing.DigestMemo.known_files`,
`record_files`), so a scan that memoises digests keeps the index too; carried by
`auditor cache export/import` as `hash-index:<digest>` lines of the HTTP-cache snapshot
(`auditor.store.http_cache`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from auditor.hashing import KnownFile

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

BATCH = 500
_RANK = {"registry": 2, "declared": 1}


def lookup(engine: Engine, digests: Iterable[str]) -> dict[str, tuple[KnownFile, ...]]:
    """Entries for these digests, strongest first."""
    from sqlalchemy import select

    from auditor.store import models
    from auditor.store.engine import errors

    t = models.metadata.tables["hash_index"]
    wanted = sorted(set(digests))
    found: dict[str, list[KnownFile]] = {}
    with errors(engine), engine.connect() as conn:
        for start in range(0, len(wanted), BATCH):
            query = select(t).where(t.c.sha256.in_(wanted[start : start + BATCH]))
            for row in conn.execute(query):
                found.setdefault(row.sha256, []).append(_file(row))
    return {d: tuple(sorted(fs, key=_order)) for d, fs in found.items()}


def record(engine: Engine, files: Iterable[KnownFile], when: str | None = None) -> int:
    """Upsert entries; a weaker sighting never replaces a stronger one."""
    from auditor.store.engine import WRITE, errors

    rows = sorted({_row(f, when) for f in files})
    if not rows:
        return 0
    with errors(engine), engine.connect() as conn:
        conn.execution_options(**WRITE)
        with conn.begin():
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                _upsert(conn, [dict(zip(_COLUMNS, r, strict=True)) for r in chunk])
    return len(rows)


def entries(engine: Engine) -> Iterator[KnownFile]:
    """Every entry (for a snapshot)."""
    from sqlalchemy import select

    from auditor.store import models
    from auditor.store.engine import errors

    t = models.metadata.tables["hash_index"]
    with errors(engine), engine.connect() as conn:
        yield from (_file(r) for r in conn.execute(select(t).order_by(t.c.sha256)))


_COLUMNS = ("sha256", "repo", "revision", "path", "source", "strength", "recorded_at")


def _row(f: KnownFile, when: str | None) -> tuple[str, ...]:
    now = when or datetime.now(UTC).isoformat(timespec="seconds")
    return (f.digest, f.repo, f.revision, f.path, f.source, f.strength, now)


def _file(row: object) -> KnownFile:
    return KnownFile(*(str(getattr(row, c)) for c in _COLUMNS[:6]))


def _order(f: KnownFile) -> tuple[int, str, str, str]:
    return (-_RANK.get(f.strength, 0), f.repo, f.revision, f.path)


def _upsert(conn: Connection, rows: list[dict[str, str]]) -> None:
    from sqlalchemy import case

    from auditor.store import models
    from auditor.store.engine import dialect_insert

    t = models.metadata.tables["hash_index"]
    stmt = dialect_insert(conn, t)
    weaker = (stmt.excluded.strength == "declared") & (t.c.strength == "registry")
    stmt = stmt.on_conflict_do_update(
        index_elements=["sha256", "repo", "revision", "path"],
        set_={
            "source": case((weaker, t.c.source), else_=stmt.excluded.source),
            "strength": case((weaker, t.c.strength), else_=stmt.excluded.strength),
            "recorded_at": stmt.excluded.recorded_at,
        },
    )
    conn.execute(stmt, rows)
