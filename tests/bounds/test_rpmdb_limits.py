"""A hostile sqlite rpmdb is read-only, bounded in time and memory, and never fills a disk.

rpm's real database is one table, `Packages(hnum, blob)`. A crafted one makes `Packages` a
VIEW of cross joins (the old query sorted it into temporary files at ~0.7 GB/s), or a table
with a generated column that makes huge values, or a recursive view. Each is scanned as a
root file system in a child process under RLIMIT_CPU and RLIMIT_AS; the scan ends at once
with a diagnostic naming the file, and nothing is written beside the database.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.bounded import assert_bounded, examples, run_bounded


def _database(schema: list[str], rows: int) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rpmdb.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE n (x BLOB)")
        conn.executemany("INSERT INTO n VALUES (?)", [(bytes(64),)] * rows)
        for statement in schema:
            conn.execute(statement)
        conn.commit()
        conn.close()
        return path.read_bytes()


def _cross_view(width: int) -> list[str]:
    tables = ", ".join(f"n AS t{i}" for i in range(width))
    blobs = " || ".join(f"t{i}.x" for i in range(width))
    return [f"CREATE VIEW Packages AS SELECT random() AS hnum, {blobs} AS blob FROM {tables}"]


def _recursive_view(_: int) -> list[str]:
    return [
        "CREATE VIEW Packages AS WITH RECURSIVE c(hnum, blob) AS "
        "(SELECT 1, x FROM n UNION ALL SELECT hnum + 1, blob || blob FROM c) "
        "SELECT hnum, blob FROM c ORDER BY blob"
    ]


def _generated(size: int) -> list[str]:
    return [
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, "
        f"blob BLOB GENERATED ALWAYS AS (zeroblob({size} * 20000000)) VIRTUAL)",
        "INSERT INTO Packages (hnum) SELECT rowid FROM n",
    ]


SHAPES = {"cross-view": _cross_view, "recursive-view": _recursive_view, "generated": _generated}


@examples(5)
@given(shape=st.sampled_from(sorted(SHAPES)), size=st.integers(3, 8), rows=st.integers(50, 400))
def test_hostile_rpmdb_is_a_diagnostic_in_bounded_time_and_space(
    shape: str, size: int, rows: int
) -> None:
    data = _database(SHAPES[shape](size), rows)
    outcome = run_bounded(
        "tests.bounds.targets:scan_rpm_rootfs",
        data,
        cpu_seconds=40,
        wall_seconds=90,
        address_space_mb=1536,
    )
    assert_bounded(outcome, max_rss_mb=512)
    assert outcome.result is not None, outcome.describe()
    report = json.loads(outcome.result)
    assert report["exit"] == 0 and report["diagnostics"], report
    assert outcome.seconds < 30, outcome.describe()


def test_a_view_is_refused_before_any_query_runs() -> None:
    from auditor.collectors.rpmdb import read_rpmdb
    from auditor.errors import ParseError

    data = _database(_cross_view(6), 200)
    try:
        read_rpmdb(data, "var/lib/rpm/rpmdb.sqlite")
    except ParseError as exc:
        assert "Packages is a view" in exc.reason
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("a VIEW was read")
