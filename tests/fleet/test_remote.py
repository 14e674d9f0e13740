"""Lockfile URL targets, one task run in this process against a loopback Git server's raw
files: fetched only from configured sources, every redirect checked, bounded, scanned and
recorded under the URL. (A real worker fetching one: test_workers.py.)"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.fleet.sources import configured_sources
from auditor.fleet.state import open_fleet, scan_id_for
from auditor.fleet.targets import Line
from auditor.fleet.work import Permanent, Transient, WorkerSettings, scan_target
from auditor.render.json import scan_document
from tests.servers.raw import RawState, serve

REPO = Path(__file__).resolve().parent.parent.parent
UV_LOCK = (REPO / "tests" / "data" / "python" / "uvlock" / "project" / "uv.lock").read_bytes()
RAW = "/api/v1/repos/team-a/api/raw"


@pytest.fixture
def git() -> Iterator[tuple[RawState, str]]:
    state = RawState(files={f"{RAW}/uv.lock": UV_LOCK})
    yield from ((state, url) for url in serve(state))


@pytest.fixture
def elsewhere() -> Iterator[tuple[RawState, str]]:
    """Another server on the loopback: a host no source names."""
    state = RawState(files={"/uv.lock": UV_LOCK})
    yield from ((state, url) for url in serve(state))


def worker_settings(tmp_path: Path, base: str) -> WorkerSettings:
    return WorkerSettings(
        db_url=f"sqlite:///{tmp_path / 'fleet.db'}",
        offline=True,
        sources=configured_sources([f"{base}/api/v1/repos/team-a"], {}),
    )


def submitted(settings: WorkerSettings, *targets: str, job: str = "job-1") -> str:
    with open_fleet(settings.db_url) as fleet:
        fleet.add_job(job, [Line(i + 1, t) for i, t in enumerate(targets)])
    return job


def test_a_url_is_fetched_scanned_and_recorded_under_it(
    git: tuple[RawState, str], tmp_path: Path
) -> None:
    state, base = git
    settings = worker_settings(tmp_path, base)
    url = f"{base}{RAW}/uv.lock"
    job = submitted(settings, url)
    before = set(Path(tempfile.gettempdir()).glob("auditor-fleet-uv.lock-*"))  # killed workers'
    outcome = scan_target(settings, job, url)
    assert outcome.state == "done" and outcome.scan_id == scan_id_for(job, url)
    assert state.hits == [f"{RAW}/uv.lock"]
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        scan = fleet.store.load_scan(row.scan_id or "")
    assert row.state == "done"
    (target,) = scan.targets
    assert (target.ref, target.identity, target.kind.value) == (url, f"lockfile:{url}", "lockfile")
    assert len(scan.components) > 3
    assert {loc.target for c in scan.components for loc in c.locations} == {url}
    # The temporary folder it was scanned in appears nowhere, and is gone.
    document = json.dumps(scan_document(scan))
    assert "auditor-fleet-" not in document and tempfile.gettempdir() + "/" not in document
    assert set(Path(tempfile.gettempdir()).glob("auditor-fleet-uv.lock-*")) == before

    # The next night's job compares the URL's scan with this one (its identity is stable).
    later = submitted(settings, url, job="job-2")
    scan_target(settings, later, url)
    with open_fleet(settings.db_url) as fleet:
        (row2,) = fleet.job(later)
        second = fleet.store.load_scan(row2.scan_id or "")
    assert second.changes is not None and second.changes.previous == scan.id
    assert second.changes.added.count == second.changes.removed.count == 0


def test_a_redirect_inside_the_source_is_followed(
    git: tuple[RawState, str], tmp_path: Path
) -> None:
    state, base = git
    state.redirects["/api/v1/repos/team-a/api/raw/latest/uv.lock"] = f"{RAW}/uv.lock"  # relative
    settings = worker_settings(tmp_path, base)
    url = f"{base}/api/v1/repos/team-a/api/raw/latest/uv.lock"
    assert scan_target(settings, submitted(settings, url), url).state == "done"
    assert state.hits == ["/api/v1/repos/team-a/api/raw/latest/uv.lock", f"{RAW}/uv.lock"]


@pytest.mark.parametrize("where", ["other-port", "outside-prefix", "dot-dot"])
def test_a_redirect_out_of_the_sources_is_refused(
    git: tuple[RawState, str],
    elsewhere: tuple[RawState, str],
    tmp_path: Path,
    where: str,
) -> None:
    state, base = git
    other, other_base = elsewhere
    location = {
        "other-port": f"{other_base}/uv.lock",
        "outside-prefix": f"{base}/api/v1/repos/team-b/uv.lock",
        "dot-dot": f"{base}/api/v1/repos/team-a/../team-b/uv.lock",
    }[where]
    state.redirects[f"{RAW}/moved/uv.lock"] = location
    settings = worker_settings(tmp_path, base)
    url = f"{base}{RAW}/moved/uv.lock"
    job = submitted(settings, url)
    with pytest.raises(Permanent, match=r"redirected to .*, refused"):
        scan_target(settings, job, url)
    with open_fleet(settings.db_url) as fleet:
        (row,) = fleet.job(job)
        assert fleet.store.list_scans() == ()
    assert row.state == "failed" and row.error is not None and "refused" in row.error
    assert other.hits == [] and state.hits == [f"{RAW}/moved/uv.lock"]  # nothing requested


def test_a_url_this_worker_does_not_allow_is_not_fetched(
    git: tuple[RawState, str], tmp_path: Path
) -> None:
    """The broker's message is no authority: a worker checks the URL against its own list."""
    state, base = git
    settings = replace(worker_settings(tmp_path, base), sources=configured_sources([], {}))
    url = f"{base}{RAW}/uv.lock"
    with pytest.raises(Permanent, match="no source is configured"):
        scan_target(settings, submitted(settings, url), url)
    assert state.hits == []


def test_missing_unavailable_and_too_large(
    git: tuple[RawState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = git
    settings = worker_settings(tmp_path, base)
    missing, busy, big = (f"{base}{RAW}/{n}/uv.lock" for n in ("missing", "busy", "big"))
    state.statuses[f"{RAW}/busy/uv.lock"] = 503
    state.files[f"{RAW}/big/uv.lock"] = UV_LOCK * 4
    job = submitted(settings, missing, busy, big)
    with pytest.raises(Permanent, match="HTTP 404"):
        scan_target(settings, job, missing)
    with pytest.raises(Transient, match="HTTP 503"):  # retried with back-off by the task
        scan_target(settings, job, busy)
    monkeypatch.setenv("AUDITOR_HTTP_MAX_BYTES", str(len(UV_LOCK) * 2))
    with pytest.raises(Permanent, match=r"answer over \d+ bytes.*AUDITOR_HTTP_MAX_BYTES"):
        scan_target(settings, job, big)
    with open_fleet(settings.db_url) as fleet:
        states = {r.target: (r.state, r.error) for r in fleet.job(job)}
    assert states[missing] == ("failed", f"{missing}: HTTP 404")
    assert states[busy] == ("running", None)  # the task's retry handler shows it queued
    assert states[big][0] == "failed"


def test_credentials_come_from_netrc_and_are_never_kept(
    git: tuple[RawState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = git
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login ci password s3cret-pass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    settings = worker_settings(tmp_path, base)
    url = f"{base}{RAW}/uv.lock"
    job = submitted(settings, url)
    scan_target(settings, job, url)
    assert state.auth == ["Basic Y2k6czNjcmV0LXBhc3M="]  # ci:s3cret-pass
    raw = (tmp_path / "fleet.db").read_bytes()
    assert b"s3cret-pass" not in raw and b"Y2k6czNjcmV0LXBhc3M" not in raw
