"""Answering a portfolio question: open the store, index what is not indexed yet, ask.

Scans saved by `auditor worker` are indexed as they are saved; scans saved by `auditor scan`
(or before this version) are indexed here the first time a portfolio question reaches them,
by loading each once (`detail=False`) and counting its `origin_groups`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from auditor.errors import UsageError
from auditor.portfolio import queries
from auditor.portfolio.db import StoreAccess
from auditor.portfolio.index import rollup_rows, unindexed, write_rollup

Notice = Callable[[str], None]

_AGE = re.compile(r"(\d+)([dwh])")


@contextmanager
def portfolio(db: str | None, as_of: datetime | None, notice: Notice) -> Iterator[StoreAccess]:
    """The store, with every scan that answers as of `as_of` indexed."""
    with StoreAccess.open(db) as access:
        index_latest(access, as_of, notice)
        yield access


def index_latest(fleet: StoreAccess, as_of: datetime | None, notice: Notice) -> int:
    """Index the latest scans (as of `as_of`) that are not yet; how many were."""
    with fleet.begin() as conn:
        missing = unindexed(conn, queries.scan_ids(queries.latest(conn, as_of)))
    if missing:
        notice(f"indexing {len(missing)} scans for portfolio questions (once per scan)")
    for scan_id in missing:
        scan = fleet.store.load_scan(scan_id, detail=False)
        rows = rollup_rows(scan)
        with fleet.begin() as conn:
            write_rollup(conn, rows, scan_id)
    return len(missing)


def parse_as_of(text: str | None) -> datetime | None:
    """`--as-of`: a date (the end of that day, UTC) or an ISO 8601 instant."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) - timedelta(microseconds=1)
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"--as-of {text!r}: not a date", hint="say 2026-09-30 or 2026-09-30T18:00Z"
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_age(text: str) -> timedelta:
    """`--since 90d`: days (d), weeks (w) or hours (h)."""
    match = _AGE.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"--since {text!r}: not an age", hint="say 90d, 12w or 48h")
    n = int(match.group(1))
    return {"d": timedelta(days=n), "w": timedelta(weeks=n), "h": timedelta(hours=n)}[
        match.group(2)
    ]
