"""Many scanners, one database: concurrent writers, a writer killed mid-save, pruning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from uuid import uuid4

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from auditor.store import open_store
from tests.store.test_store import make_scan

SHARED = "directory:/fleet/shared"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def writer(url: str, number: int, count: int) -> list[str]:
    """One scanner process: `count` scans, each of the shared target and one of its own."""
    ids = []
    with open_store(url) as store:
        for i in range(count):
            scan = make_scan(
                scan_id=f"w{number}-{i}-{uuid4().hex[:8]}",
                started_at=f"2026-01-01T00:{number:02d}:{i:02d}+00:00",
                identities=(SHARED, f"directory:/fleet/{number}"),
                components=3,
                findings=2,
            )
            store.save_scan(scan)
            ids.append(scan.id)
    return ids


def test_concurrent_scanners_lose_and_duplicate_nothing(db_url: str) -> None:
    # The figures: 8 processes x 50 scans on PostgreSQL, 4 x 50 on SQLite.
    writers = 8 if db_url.startswith("postgresql") else 4
    open_store(db_url).close()
    with ProcessPoolExecutor(writers, mp_context=get_context("spawn")) as procs:
        futures = [procs.submit(writer, db_url, n, 50) for n in range(writers)]
        saved = [scan_id for f in futures for scan_id in f.result()]
    assert len(saved) == len(set(saved)) == writers * 50
    with open_store(db_url) as store:
        everything = store.list_scans()
        assert sorted(s.id for s in everything) == sorted(saved)
        assert {(s.component_count, s.finding_count) for s in everything} == {(3, 2)}
        assert len(store.list_scans(SHARED)) == writers * 50
        for n in range(writers):
            own = store.list_scans(f"directory:/fleet/{n}")
            assert {s.id for s in own} == {i for i in saved if i.startswith(f"w{n}-")}
        for scan_id in saved[:: max(1, len(saved) // 40)]:
            assert len(store.load_scan(scan_id).components) == 3


CHILD = """
import sys
from auditor.store import open_store
from tests.store.test_store import make_scan
scan = make_scan(scan_id=sys.argv[2], identities=("directory:/fleet/shared",), components=100_000)
with open_store(sys.argv[1]) as store:
    print("saving", flush=True)
    store.save_scan(scan)
print("saved", flush=True)
"""


def writing(url: str) -> bool:
    """True while another connection has rows of a scan written but not committed."""
    if url.startswith("sqlite"):
        # Uncommitted pages go to the write-ahead log; it is empty (or absent) otherwise.
        wal = make_url(url).database + "-wal"  # type: ignore[operator]
        return os.path.exists(wal) and os.path.getsize(wal) > 1_000_000
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            busy = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                    " AND query ILIKE 'INSERT INTO components%'"
                )
            ).scalar()
    finally:
        engine.dispose()
    return bool(busy)


def test_a_scanner_killed_mid_write_leaves_the_others_intact(db_url: str) -> None:
    earlier = [make_scan(identities=(SHARED,), components=50) for _ in range(3)]
    with open_store(db_url) as store:
        for scan in earlier:
            store.save_scan(scan)
    doomed = f"killed-{uuid4()}"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, doomed],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "saving\n"
        deadline = time.monotonic() + 120  # making 100,000 rows is slow on a loaded machine
        while not writing(db_url) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # well inside the transaction: 100,000 rows take seconds
        assert child.poll() is None, "the save finished before it could be interrupted"
        assert writing(db_url), "the child never began writing"
        child.send_signal(signal.SIGKILL)
    finally:
        if child.poll() is None and child.returncode is None:
            child.kill()  # a failed assertion above: end the child, don't wait out its save
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with open_store(db_url) as store:
        for scan in earlier:
            assert store.load_scan(scan.id) == scan
        assert doomed not in {s.id for s in store.list_scans()}
        # The database takes writers again: the dead one's locks are gone.
        after = make_scan(identities=(SHARED,))
        store.save_scan(after)
        assert {s.id for s in store.list_scans(SHARED)} == {after.id} | {s.id for s in earlier}


def test_prune_deletes_whole_scans_on_both_backends(db_url: str) -> None:
    days = ("2020-01-01", "2020-01-02", "2020-01-03")
    kept_alone = make_scan("other", "2020-01-01T00:00:00+00:00", ("directory:/other",))
    scans = [make_scan(f"s{i}", f"{d}T00:00:00+00:00", (SHARED,)) for i, d in enumerate(days)]
    with open_store(db_url) as store:
        for scan in [*scans, kept_alone]:
            store.save_scan(scan)
        planned = store.prune(keep_last=1, dry_run=True)
        assert [s.id for s in planned] == ["s1", "s0"]
        assert planned[0].component_count == 2 and planned[0].targets == (SHARED,)
        assert len(store.list_scans()) == 4
        assert [s.id for s in store.prune(keep_last=1)] == ["s1", "s0"]
        assert {s.id for s in store.list_scans()} == {"s2", "other"}
        assert store.load_scan("s2") == scans[2]
        cutoff = datetime(2020, 1, 2, tzinfo=UTC)
        assert [s.id for s in store.prune(older_than=cutoff)] == ["other"]
        assert [s.id for s in store.prune(keep_last=0)] == ["s2"]
        assert store.list_scans() == ()
        # Deleted scans' rows are gone too (cascade), so an id can be used again.
        store.save_scan(scans[0])
        assert store.load_scan("s0") == scans[0]
