"""PyPI resolution against a loopback index: origins, findings, and the failure matrix."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import Origin, OriginStatus, Scan, ScanStatus, Strength
from auditor.pipeline import run_scan
from auditor.store import Store, open_store
from tests.conftest import write_files
from tests.resolvers.failure_matrix import FAILURE_MATRIX, fault_id
from tests.servers.pypi import Fault, PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=0.5, attempts=3)
CLICK_WHEEL = "8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _scan(
    tmp_path: Path, base: str, requirements: str, store: Store | None = None, **config: object
) -> Scan:
    write_files(tmp_path / "app", {"requirements.txt": requirements})
    settings = Config(pypi_url=base, http=FAST, store=False, concurrency=4)
    return run_scan(
        [str(tmp_path / "app")],
        replace(settings, **config),  # type: ignore[arg-type]
        store.http_cache() if store is not None else None,
    )


def test_resolves_publisher_repository_and_evidence(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    scan = _scan(tmp_path, base, f"click==8.5.1 --hash=sha256:{CLICK_WHEEL}\nrequests==2.32.3\n")
    assert scan.status is ScanStatus.COMPLETE
    origins = scan.origins_by_purl()
    click = origins["pkg:pypi/click@8.5.1"]
    assert click.status is OriginStatus.RESOLVED
    assert (click.publisher.value, click.publisher.strength) == ("pallets", Strength.REGISTRY)  # type: ignore[union-attr]
    assert click.repository is not None
    assert (click.repository.value, click.repository.strength) == (
        "https://github.com/pallets/click",
        Strength.DECLARED,
    )
    fields = {(e.field, e.where) for e in click.evidence}
    assert ("ownership.organization", "pypi:/pypi/click/8.5.1/json") in fields
    assert any(f.startswith("info.project_urls.") for f, _ in fields)
    # requests has no organisation: its first Owner is the registry-asserted publisher.
    requests = origins["pkg:pypi/requests@2.32.3"]
    assert requests.publisher is not None and requests.publisher.value == "Lukasa"
    assert not [f for f in scan.findings if f.rule.startswith("pypi.")]  # the resolver's own
    assert set(state.paths()) == {
        "/pypi/click/8.5.1/json",
        "/pypi/requests/2.32.3/json",
        # the Simple API (JSON) for project status and provenance URLs
        "/simple/click/",
        "/simple/requests/",
    }


def test_mirror_without_version_route_falls_back_to_the_project_document(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    state, base = pypi
    state.version_route = False
    scan = _scan(tmp_path, base, "click==8.1.7\n")
    origin = scan.origins_by_purl()["pkg:pypi/click@8.1.7"]
    assert origin.status is OriginStatus.RESOLVED
    assert {e.where for e in origin.evidence if e.source == "pypi"} == {
        "pypi:/pypi/click/json",
        "pypi:/simple/click/",
    }
    assert state.paths() == ["/pypi/click/8.1.7/json", "/pypi/click/json", "/simple/click/"]


def test_project_document_is_kept_as_one_release(
    pypi: tuple[PyPIState, str], tmp_path: Path, store: Store
) -> None:
    """Without the per-version route, only the locked release's projection of the project
    document (and of the Simple page) is cached, under a versioned key; an offline rescan
    answers the same from it."""
    state, base = pypi
    state.version_route = False
    online = _scan(tmp_path, base, "click==8.1.7\n", store)
    kept = dict(store.http_cache().entries())
    assert "pypi:/pypi/click/json" not in kept and "pypi:/simple/click/" not in kept
    release = json.loads(kept["pypi:/pypi/click/json#v1:8.1.7"].body)
    assert list(release["releases"]) == ["8.1.7"] and "description" not in release["info"]
    assert b"click-8.5.1" in json.dumps(state.projects["click"]).encode()
    assert b"click-8.5.1" not in kept["pypi:/pypi/click/json#v1:8.1.7"].body
    page = json.loads(kept["pypi:/simple/click/#v1:8.1.7"].body)
    assert page["files"]
    assert all("8.1.7" in f["filename"] or f.get("provenance") for f in page["files"])
    offline = _scan(tmp_path, "http://127.0.0.1:9", "click==8.1.7\n", store, offline=True)
    assert offline.origins == online.origins
    # Evidence names the document, never the cache key.
    assert {e.where for o in online.origins for e in o.evidence if e.source == "pypi"} == {
        "pypi:/pypi/click/json",
        "pypi:/simple/click/",
    }


def test_missing_project_and_missing_version_are_unknown(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    scan = _scan(tmp_path, pypi[1], "no-such-thing==1.0\nclick==0.0.1\n")
    origins = scan.origins_by_purl()
    missing = origins["pkg:pypi/no-such-thing@1.0"]
    assert (missing.status, missing.reason) == (
        OriginStatus.UNKNOWN,
        "no-such-thing is not on the index",
    )
    old = origins["pkg:pypi/click@0.0.1"]
    assert (old.status, old.reason) == (OriginStatus.UNKNOWN, "click 0.0.1 is not on the index")
    assert scan.status is ScanStatus.COMPLETE  # unknown is an answer, not a failure


WHEEL = "click-8.5.1-py3-none-any.whl"
SDIST_SHA = "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4"


def _poetry_lock(files: list[tuple[str, str]]) -> str:
    """A poetry.lock 2.x entry for click 8.5.1 pinning these (file, sha256) pairs."""
    listed = "".join(f'    {{file = "{n}", hash = "sha256:{h}"}},\n' for n, h in files)
    return (
        '[[package]]\nname = "click"\nversion = "8.5.1"\ndescription = ""\noptional = false\n'
        f'python-versions = ">=3.10"\ngroups = ["main"]\nfiles = [\n{listed}]\n\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\ncontent-hash = "0"\n'
    )


def _lock_scan(tmp_path: Path, base: str, files: dict[str, str]) -> Scan:
    write_files(tmp_path / "app", files)
    return run_scan([str(tmp_path / "app")], Config(pypi_url=base, http=FAST, store=False))


def test_same_file_name_with_another_digest_is_a_hash_mismatch(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    lock = _poetry_lock([(WHEEL, "0" * 64), ("click-8.5.1.tar.gz", SDIST_SHA)])
    scan = _lock_scan(tmp_path, pypi[1], {"poetry.lock": lock})
    (mismatch,) = [f for f in scan.findings if f.rule == "pypi.hash-mismatch"]
    assert mismatch.severity.value == "high"
    assert f"poetry.lock:1 pins {WHEEL} at sha256:{'0' * 64}" in mismatch.message
    assert "pypi.file-not-served" not in {f.rule for f in scan.findings}


def test_a_locked_file_the_index_no_longer_lists_is_not_a_mismatch(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    """The false alarm seen on a real poetry.lock: the index rebuilt the wheels under other
    names; the locked ones are simply not served any more."""
    lock = _poetry_lock([("click-8.5.1-py3-none-any.build1.whl", "1" * 64),
                         ("click-8.5.1.tar.gz", SDIST_SHA)])  # fmt: skip
    requirements = "click==8.5.1\n"
    scan = _lock_scan(tmp_path, pypi[1], {"poetry.lock": lock, "requirements.txt": requirements})
    rules = {f.rule: f for f in scan.findings}
    assert "pypi.hash-mismatch" not in rules
    gone = rules["pypi.file-not-served"]
    assert gone.severity.value == "low" and gone.action.value == "report"
    # the lockfile that pinned it, not the merged component's first location
    assert gone.message.startswith("poetry.lock:1 pins 1 file(s) of click 8.5.1")
    assert "click-8.5.1-py3-none-any.build1.whl" in gone.message


def test_unnamed_hashes_speak_only_when_none_matches(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    partly = f"click==8.5.1 --hash=sha256:{'0' * 64} --hash=sha256:{SDIST_SHA}\n"
    assert not [f for f in _scan(tmp_path, pypi[1], partly).findings if f.rule.startswith("pypi.")]
    scan = _scan(tmp_path, pypi[1], f"click==8.5.1 --hash=sha256:{'0' * 64}\nrequests==2.32.0\n")
    by_rule = {f.rule: f for f in scan.findings}
    assert "pypi.hash-mismatch" not in by_rule
    gone = by_rule["pypi.file-not-served"]
    assert gone.purl == "pkg:pypi/click@8.5.1" and gone.severity.value == "low"
    assert "requirements.txt:1 pins" in gone.message and "0000" in gone.message
    yanked = by_rule["pypi.yanked"]
    assert yanked.purl == "pkg:pypi/requests@2.32.0"


def test_direct_references_are_not_looked_up(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    state, base = pypi
    scan = _scan(tmp_path, base, "pkg @ https://example.invalid/pkg-1.0.tar.gz\n")
    [origin] = scan.origins
    assert origin.status is OriginStatus.UNKNOWN and "direct reference" in (origin.reason or "")
    assert state.paths() == []


@pytest.mark.parametrize(("fault", "status", "reason"), FAILURE_MATRIX, ids=fault_id)
def test_failure_matrix(
    pypi: tuple[PyPIState, str],
    tmp_path: Path,
    fault: Fault,
    status: OriginStatus,
    reason: str | None,
) -> None:
    state, base = pypi
    state.faults["/pypi/click/"] = fault
    scan = _scan(tmp_path, base, "click==8.5.1\nrequests==2.34.2\n")
    origins = scan.origins_by_purl()
    click = origins["pkg:pypi/click@8.5.1"]
    assert click.status is status
    if reason is not None:
        assert click.reason is not None and click.reason.endswith(reason), click.reason
    # The other component is untouched by click's trouble, and the scan always completes.
    assert origins["pkg:pypi/requests@2.34.2"].status is OriginStatus.RESOLVED
    expected = ScanStatus.PARTIAL if status is OriginStatus.UNREACHABLE else ScanStatus.COMPLETE
    assert scan.status is expected


def test_registry_down_is_unreachable_not_a_crash(tmp_path: Path) -> None:
    scan = _scan(tmp_path, "http://127.0.0.1:9", "click==8.5.1\n")
    [origin] = scan.origins
    assert origin.status is OriginStatus.UNREACHABLE
    assert (
        origin.reason == "pypi endpoint unreachable (connection refused); not tried again this scan"
    )
    assert scan.status is ScanStatus.PARTIAL


def test_a_deeply_nested_cached_project_document_is_unreachable_not_a_crash(
    tmp_path: Path, store: Store
) -> None:
    """A whole project document kept before projections (an older cache, an imported
    snapshot) is cut to one release on use: that parse checks the nesting first, so a
    document deeper than the parser's recursion limit is refused as malformed."""
    from datetime import UTC, datetime

    from auditor.http import CachedResponse

    deep = b'{"info": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    now = datetime.now(UTC)
    missing = CachedResponse(404, b'{"message": "Not Found"}', now)  # a mirror's answer
    store.http_cache().put_many(
        [
            ("pypi:/pypi/click/8.1.7/json", missing),
            ("pypi:/pypi/click/json", CachedResponse(200, deep, now)),
        ]
    )
    scan = _scan(tmp_path, "http://127.0.0.1:9", "click==8.1.7\n", store, offline=True)
    [origin] = scan.origins
    assert origin.status is OriginStatus.UNREACHABLE
    assert origin.reason is not None and "nested deeper than 100 levels" in origin.reason


@pytest.mark.parametrize("version_route", [True, False])
def test_warm_offline_rescan_reads_the_cache_in_batches(
    pypi: tuple[PyPIState, str], tmp_path: Path, store: Store, version_route: bool
) -> None:
    """A warm rescan asks the store for every kept answer in a batch before resolving (one
    query per stage, not one per package): with 680 packages, one SELECT per Simple page
    was a third of a warm scan."""
    from sqlalchemy import event

    state, base = pypi
    state.version_route = version_route
    requirements = "click==8.5.1\nrequests==2.32.3\nsampleproject==4.0.0\n"
    online = _scan(tmp_path, base, requirements, store)
    statements: list[str] = []
    engine = store._engine  # the store's own connections: what the cache really asks
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    offline = _scan(tmp_path, "http://127.0.0.1:9", requirements, store, offline=True)
    assert offline.origins == online.origins
    assert {o.status for o in offline.origins} == {OriginStatus.RESOLVED}
    reads = [s for s in statements if "FROM http_cache" in s]
    assert len(reads) == 1  # every registry answer at once (no source host configured)


def test_cache_warm_then_revalidated_then_offline(
    pypi: tuple[PyPIState, str], tmp_path: Path, store: Store
) -> None:
    state, base = pypi
    requirements = "click==8.5.1\nrequests==2.34.2\n"
    cold = _scan(tmp_path, base, requirements, store)
    sent = len(state.log)
    assert sent == 4  # JSON API and Simple API per project
    warm = _scan(tmp_path, base, requirements, store)
    assert len(state.log) == sent  # all fresh in the cache: no requests
    stale = _scan(tmp_path, base, requirements, store, http=replace(FAST, ttl=timedelta(0)))
    revalidations = state.log[sent:]
    assert len(revalidations) == 4 and all("if-none-match" in h for _, h in revalidations)
    offline = _scan(tmp_path, "http://127.0.0.1:9", requirements, store, offline=True)
    assert warm.origins == cold.origins  # same answers, same retrieval times
    # A 304 confirms the answer at revalidation time: only retrieved_at moves on.
    assert _timeless(stale.origins) == _timeless(cold.origins)
    assert offline.origins == stale.origins
    assert len(state.log) == sent + 4


def _timeless(origins: tuple[Origin, ...]) -> tuple[Origin, ...]:
    return tuple(
        replace(o, evidence=tuple(replace(e, retrieved_at=None) for e in o.evidence))
        for o in origins
    )


def test_offline_without_cache_is_skipped(tmp_path: Path, store: Store) -> None:
    scan = _scan(tmp_path, "http://127.0.0.1:9", "click==8.5.1\n", store, offline=True)
    [origin] = scan.origins
    assert (origin.status, origin.reason) == (OriginStatus.SKIPPED, "offline, and no cached answer")
    assert scan.status is ScanStatus.COMPLETE


def test_per_host_limit_and_one_fetch_per_url(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    state, base = pypi
    state.latency = 0.05
    lines = "".join(f"pkg{i}==1.0\n" for i in range(12)) + "click==8.5.1\n"
    _scan(tmp_path, base, lines, concurrency=12, http=replace(FAST, per_host=3))
    assert state.max_in_flight <= 3
    assert len(state.paths()) == len(set(state.paths()))
