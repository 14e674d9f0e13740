"""The store on SQLite and PostgreSQL: schema, round trip, history, first use, concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, timedelta, timezone
from importlib.resources import as_file, files
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, event, inspect, text

from auditor.errors import Diagnostic, ScanNotFoundError, StoreError
from auditor.model import (
    Action,
    Changed,
    Changes,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evaluation,
    Evidence,
    Finding,
    ListVersion,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)
from auditor.store import SCHEMA_HEAD, ScanSummary, Store, open_store, upgrade
from auditor.store.models import metadata

# --- helpers --------------------------------------------------------------------------------


@pytest.fixture
def alembic_config() -> Iterator[Config]:
    """An alembic Config found the way the store finds it: through the installed package."""
    with as_file(files("auditor.store") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        yield config


def engine_for(url: str) -> Engine:
    return create_engine(url)


def version_rows(url: str) -> list[str]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def make_scan(
    scan_id: str | None = None,
    started_at: str = "2024-05-01T10:00:00+00:00",
    identities: tuple[str, ...] = ("directory:/srv/app",),
    components: int = 2,
    findings: int = 1,
) -> Scan:
    """A small scan using every kind of row."""
    evidence = (
        Evidence("metadata", "Project-URL.Source", "https://x", "a/METADATA", Strength.DECLARED),
    )
    comps = tuple(
        Component(
            purl=f"pkg:pypi/pkg{i}@1.{i}",
            kind=ComponentKind.LIBRARY,
            name=f"pkg{i}",
            version=f"1.{i}",
            hashes=("sha256:" + "ab" * 32,),
            locations=(Location("/srv/app", "uv.lock", i + 1),),
            direct=i == 0,
            evidence=evidence,
            found_by="uv-lock",
        )
        for i in range(components)
    )
    return Scan(
        id=scan_id or str(uuid4()),
        started_at=started_at,
        finished_at=started_at,
        status=ScanStatus.COMPLETE,
        tool_version="0.1.0",
        targets=tuple(
            Target(ident.split(":", 1)[1], TargetKind.DIRECTORY, ident, "sha256:00")
            for ident in identities
        ),
        components=comps,
        origins=tuple(
            Origin(c.purl, OriginStatus.RESOLVED, publisher=Claim("psf", Strength.REGISTRY))
            for c in comps
        ),
        dependencies=tuple(Dependency(a.purl, b.purl) for a, b in pairwise(comps)),
        findings=tuple(
            Finding("origin.unknown", Severity.LOW, Action.REPORT, comps[0].purl, f"finding {i}")
            for i in range(findings)
        ),
        diagnostics=(Diagnostic("a/b.lock:3", "bad line"),),
    )


# --- (a), (b): migrations ---------------------------------------------------------------------


def test_schema_head_is_the_single_alembic_head(alembic_config: Config) -> None:
    heads = ScriptDirectory.from_config(alembic_config).get_heads()
    assert heads == [SCHEMA_HEAD]


def test_models_equal_the_migrated_schema(db_url: str) -> None:
    assert upgrade(db_url) == SCHEMA_HEAD
    engine = engine_for(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(db_url: str, alembic_config: Config) -> None:
    upgrade(db_url)
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            alembic_config.attributes["connection"] = conn
            command.downgrade(alembic_config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    with open_store(db_url) as store:  # an emptied schema is rebuilt on first use
        store.save_scan(make_scan())
    assert version_rows(db_url) == [SCHEMA_HEAD]


# --- (c) round trip ---------------------------------------------------------------------------

# PostgreSQL text and JSONB cannot hold NUL, and no backend holds lone surrogates, so the
# strategy leaves them out; test_nul_is_rejected_everywhere covers what happens to NUL.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
MAYBE = st.none() | TEXT
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
TIMES = st.datetimes(timezones=st.none() | ZONES).map(lambda d: d.isoformat()) | TEXT


def tuples(strategy: st.SearchStrategy[Any], size: int = 3) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=size).map(tuple)


EVIDENCE = tuples(st.builds(Evidence, TEXT, TEXT, TEXT, TEXT, st.sampled_from(Strength), MAYBE))
CLAIM = st.none() | st.builds(Claim, TEXT, st.sampled_from(Strength))
SCANS = st.builds(
    Scan,
    id=TEXT,
    started_at=TIMES,
    finished_at=TIMES,
    status=st.sampled_from(ScanStatus),
    tool_version=TEXT,
    # A few fixed identities so that scans share targets with differing kinds and refs.
    targets=tuples(
        st.builds(
            Target,
            TEXT,
            st.sampled_from(TargetKind),
            st.sampled_from(["directory:/a", "lockfile:/a/uv.lock"]) | TEXT,
            TEXT,
        )
    ),
    components=tuples(
        st.builds(
            Component,
            purl=TEXT,
            kind=st.sampled_from(ComponentKind),
            name=TEXT,
            version=MAYBE,
            hashes=tuples(TEXT),
            license=MAYBE,
            locations=tuples(
                st.builds(Location, TEXT, TEXT, st.none() | st.integers(1, 2**31 - 1), MAYBE)
            ),
            direct=st.none() | st.booleans(),
            evidence=EVIDENCE,
            found_by=TEXT,
        ),
        size=5,
    ),
    origins=tuples(
        st.builds(
            Origin,
            purl=TEXT,
            status=st.sampled_from(OriginStatus),
            reason=MAYBE,
            publisher=CLAIM,
            repository=CLAIM,
            organisation=CLAIM,
            country=CLAIM,
            roots=tuples(st.builds(Root, TEXT, TEXT, MAYBE, MAYBE)),
            conflicts=tuples(TEXT),
            evidence=EVIDENCE,
        )
    ),
    dependencies=tuples(
        st.builds(Dependency, TEXT, TEXT, st.sampled_from(DependencyKind), MAYBE, MAYBE)
    ),
    findings=tuples(
        st.builds(
            Finding,
            rule=TEXT,
            severity=st.sampled_from(Severity),
            action=st.sampled_from(Action),
            purl=TEXT,
            message=TEXT,
            evidence=EVIDENCE,
            waiver=MAYBE,
        )
    ),
    diagnostics=tuples(st.builds(Diagnostic, TEXT, TEXT)),
    policy_version=MAYBE,
    host=MAYBE,
    changes=st.none()
    | st.builds(
        Changes,
        MAYBE,
        MAYBE,
        *[st.builds(Changed, st.integers(0, 2**31 - 1), tuples(TEXT))] * 7,
    ),
    # the scan's own evaluation, as run_scan records it (None: a scan of an older version)
    evaluation=st.none()
    | st.builds(
        Evaluation,
        number=st.just(1),
        evaluated_at=TIMES,
        knowledge_base=TEXT,
        lists=tuples(st.builds(ListVersion, TEXT, TEXT)),
        policy_version=MAYBE,
        new=st.integers(0, 2**31 - 1),
        cleared=st.integers(0, 2**31 - 1),
    ),
)


# One store serves every example (a database per example would be slow on PostgreSQL), so
# the function-scoped fixture is deliberate; a uuid suffix keeps the example's id unique.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scan=SCANS)
def test_round_trip(store: Store, scan: Scan) -> None:
    scan = replace(scan, id=f"{scan.id}{uuid4()}")
    store.save_scan(scan)
    assert store.load_scan(scan.id) == scan


def test_round_trip_keeps_each_scans_view_of_a_shared_target(store: Store) -> None:
    first = make_scan()
    second = replace(
        make_scan(),
        targets=(Target("./app", TargetKind.LOCKFILE, "directory:/srv/app", "sha256:11"),),
    )
    store.save_scan(first)
    store.save_scan(second)
    assert store.load_scan(first.id) == first
    assert store.load_scan(second.id) == second


def test_a_new_scan_cannot_be_saved_as_a_re_evaluation(store: Store) -> None:
    scan = replace(make_scan(), evaluation=Evaluation(2, "2026-12-08T00:00:00Z", "sha256:00"))
    with pytest.raises(ValueError, match="evaluation 1, not 2"):
        store.save_scan(scan)
    with pytest.raises(ScanNotFoundError):
        store.load_scan(scan.id)


def test_nul_is_rejected_everywhere(store: Store) -> None:
    scan = make_scan()
    bad = replace(scan, components=(replace(scan.components[0], name="a\x00b"),))
    with pytest.raises(StoreError, match="NUL"):
        store.save_scan(bad)
    with pytest.raises(ScanNotFoundError):
        store.load_scan(scan.id)


def test_saving_an_id_twice_is_a_store_error(store: Store) -> None:
    scan = make_scan()
    store.save_scan(scan)
    with pytest.raises(StoreError, match=scan.id) as raised:
        store.save_scan(scan)
    assert raised.value.hint
    assert store.load_scan(scan.id) == scan


def test_a_thousand_components_are_saved_in_a_few_statements(store: Store) -> None:
    scan = make_scan(components=1000)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        store.save_scan(scan)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    # bulk inserts: a handful per table (batched), never one per row
    assert len(statements) < 40, statements[:50]
    assert store.load_scan(scan.id) == scan


# --- (d) listing, history, prefixes -------------------------------------------------------------


def test_list_scans_history_and_latest(store: Store) -> None:
    old = make_scan(started_at="2024-01-01T00:00:00+00:00", components=3, findings=2)
    # 09:00 at +05:30 is 03:30 UTC: later than `old`, earlier than `new`; text order differs
    mid = make_scan(started_at="2024-01-02T09:00:00+05:30", identities=("directory:/b",))
    new = make_scan(
        started_at="2024-01-02T04:00:00Z", identities=("directory:/b", "directory:/srv/app")
    )
    odd = make_scan(started_at="not a time", identities=("directory:/b",))
    for scan in (mid, odd, new, old):
        store.save_scan(scan)

    listed = store.list_scans()
    assert [s.id for s in listed] == [new.id, mid.id, old.id, odd.id]
    assert listed[0] == ScanSummary(
        id=new.id,
        started_at=new.started_at,
        status=ScanStatus.COMPLETE,
        targets=("directory:/b", "directory:/srv/app"),
        component_count=2,
        finding_count=1,
    )
    assert (listed[2].component_count, listed[2].finding_count) == (3, 2)
    assert [s.id for s in store.list_scans("directory:/srv/app")] == [new.id, old.id]
    assert [s.id for s in store.list_scans("directory:/b", limit=2)] == [new.id, mid.id]
    assert store.list_scans(limit=0) == ()
    assert store.list_scans("directory:/never") == ()
    assert store.latest_scan("directory:/srv/app") == new.id
    assert store.latest_scan("directory:/never") is None


def test_scan_id_prefixes(store: Store) -> None:
    a = make_scan("abcdef-1")
    b = make_scan("abcdef-2")
    c = make_scan("zz%_x-9")
    for scan in (a, b, c):
        store.save_scan(scan)
    assert store.load_scan("abcdef-1") == a
    assert store.load_scan("zz%_") == c
    with pytest.raises(StoreError, match="ambiguous") as ambiguous:
        store.load_scan("abcd")
    assert not isinstance(ambiguous.value, ScanNotFoundError)
    for unknown in ("abc", "ABCD", "zz%%", "z%", "abcdef-3", "bcde"):
        with pytest.raises(ScanNotFoundError):
            store.load_scan(unknown)


def test_exact_id_wins_over_longer_ids_it_prefixes(store: Store) -> None:
    short, longer = make_scan("scan-1"), make_scan("scan-10")
    store.save_scan(short)
    store.save_scan(longer)
    assert store.load_scan("scan-1") == short


# --- (e) first use, re-open, versions ----------------------------------------------------------


def test_default_store_is_created_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    scan = make_scan()
    with open_store(None) as store:
        store.save_scan(scan)
    database = tmp_path / "data" / "origin-auditor" / "auditor.db"
    assert database.is_file()
    assert version_rows(f"sqlite:///{database}") == [SCHEMA_HEAD]
    with open_store(None) as store:
        assert store.load_scan(scan.id) == scan


def test_reopening_keeps_data_and_skips_alembic(db_url: str) -> None:
    scan = make_scan()
    with open_store(db_url) as store:
        store.save_scan(scan)
    with open_store(db_url) as store:
        assert store.load_scan(scan.id) == scan
    assert version_rows(db_url) == [SCHEMA_HEAD]
    # A current schema must not cost an alembic import (it is slow): check in a clean process.
    probe = (
        "import sys; from auditor.store import open_store; open_store(sys.argv[1]).close(); "
        "assert 'alembic' not in sys.modules, 'alembic was imported'"
    )
    subprocess.run([sys.executable, "-c", probe, db_url], check=True)


def test_upgrade_is_idempotent(db_url: str) -> None:
    assert upgrade(db_url) == SCHEMA_HEAD
    assert upgrade(db_url) == SCHEMA_HEAD
    assert version_rows(db_url) == [SCHEMA_HEAD]


def test_a_newer_schema_is_refused_with_a_hint(db_url: str) -> None:
    open_store(db_url).close()
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for attempt in (open_store, upgrade):
        with pytest.raises(StoreError, match="9999") as raised:
            attempt(db_url)
        assert raised.value.hint is not None
        assert "upgrade origin-auditor" in raised.value.hint


def test_sqlite_uses_wal_and_cascades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    scan = make_scan()
    with open_store(url) as store:
        store.save_scan(scan)
    engine = engine_for(url)
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        conn.execute(text("PRAGMA foreign_keys=ON"))
        conn.execute(text("DELETE FROM scans"))
        assert conn.execute(text("SELECT count(*) FROM components")).scalar() == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@127.0.0.1/x", "unsupported database"),
        ("postgresql://nobody:secret@127.0.0.1:1/x", "127.0.0.1:1"),
        ("sqlite:////nonexistent-folder/x/auditor.db", "unable to open"),
    ],
)
def test_unusable_urls_are_store_errors(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as raised:
        open_store(url)
    assert "secret" not in str(raised.value)


# --- (f) concurrency --------------------------------------------------------------------------

SHARED = "directory:/shared/project"


def save_many(url: str, count: int) -> list[str]:
    """Save `count` scans of one shared target through one store (a thread's or process's)."""
    ids = []
    with open_store(url) as store:
        for _ in range(count):
            scan = make_scan(identities=(SHARED, f"directory:/own/{uuid4()}"))
            store.save_scan(scan)
            ids.append(scan.id)
    return ids


def test_concurrent_saves_share_a_target(db_url: str) -> None:
    open_store(db_url).close()
    with (
        ThreadPoolExecutor(6) as threads,
        ProcessPoolExecutor(2, mp_context=get_context("spawn")) as procs,
    ):
        futures = [threads.submit(save_many, db_url, 4) for _ in range(6)]
        futures += [procs.submit(save_many, db_url, 4) for _ in range(2)]
        saved = {scan_id for future in futures for scan_id in future.result()}
    assert len(saved) == 32
    with open_store(db_url) as store:
        assert {s.id for s in store.list_scans(SHARED)} == saved
    engine = engine_for(db_url)
    with engine.connect() as conn:
        shared = conn.execute(
            text("SELECT count(*) FROM targets WHERE identity = :i"), {"i": SHARED}
        )
        assert shared.scalar() == 1
    engine.dispose()


def test_concurrent_first_use_migrates_once(db_url: str) -> None:
    barrier = threading.Barrier(5)

    def first_use() -> None:
        barrier.wait()
        open_store(db_url).close()

    with ThreadPoolExecutor(5) as threads:
        for future in [threads.submit(first_use) for _ in range(5)]:
            future.result()
    assert version_rows(db_url) == [SCHEMA_HEAD]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scan=SCANS)
def test_summary_load_is_the_scan_without_details(store: Store, scan: Scan) -> None:
    scan = replace(scan, id=f"{scan.id}{uuid4()}")
    store.save_scan(scan)
    summary = store.load_scan(scan.id, detail=False)
    expected = replace(
        scan,
        components=tuple(replace(c, hashes=(), locations=(), evidence=()) for c in scan.components),
        origins=tuple(replace(o, evidence=()) for o in scan.origins),
        dependencies=tuple(d for d in scan.dependencies if d.kind is DependencyKind.DERIVED_FROM),
        findings=tuple(replace(f, evidence=()) for f in scan.findings),
    )
    assert summary == expected
