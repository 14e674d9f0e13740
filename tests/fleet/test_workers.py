"""Real `auditor worker` processes on a real broker (Redis and RabbitMQ) and PostgreSQL:
every target scanned and recorded once, also when a worker is SIGKILLed mid-scan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from auditor.fleet.state import scan_id_for
from tests.fleet.conftest import REPO, Workers, finished, wait_for
from tests.servers import raw
from tests.servers.pypi import PyPIState, load_project, serve
from tests.store.conftest import PostgresServer

pytestmark = pytest.mark.postgres

LOCKS = REPO / "tests" / "data" / "python"


@pytest.fixture
def slow_pypi() -> Iterator[tuple[PyPIState, str]]:
    """A loopback PyPI answering after a delay: a scan takes long enough to be killed."""
    state = PyPIState(latency=1.5)
    for name in ("requests", "click"):
        state.add_project(load_project(name))
    yield from ((state, url) for url in serve(state))


def projects(root: Path, count: int) -> list[Path]:
    """`count` project folders, each with a requirements file naming packages of its own
    (so no answer is shared through the HTTP cache and every scan asks the slow server)."""
    folders = []
    for i in range(count):
        folder = root / f"project-{i}"
        folder.mkdir()
        (folder / "requirements.txt").write_text(
            f"requests==2.32.3\nfleet-only-{i}==1.0\nfleet-other-{i}==2.0\n"
        )
        folders.append(folder)
    return folders


def scans_per_target(db: str) -> Counter[str]:
    """Stored scans per target identity, straight from the tables."""
    engine = create_engine(db, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT t.identity, count(*) FROM scan_targets st "
                    "JOIN targets t ON t.id = st.target_id GROUP BY t.identity"
                )
            ).all()
    finally:
        engine.dispose()
    return Counter({str(identity): int(n) for identity, n in rows})


def scan_count(db: str) -> int:
    engine = create_engine(db, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM scans")).scalar_one())
    finally:
        engine.dispose()


def status_json(workers: Workers, job: str) -> dict[str, object]:
    ran = subprocess.run(
        [sys.executable, "-m", "auditor", "fleet", "status", job, "--format", "json",
         "--db", workers.db],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    doc: dict[str, object] = json.loads(ran.stdout)
    return doc


@pytest.fixture
def git_server() -> Iterator[tuple[raw.RawState, str]]:
    """A loopback Git server's raw files: the fleet's lockfile URLs."""
    state = raw.RawState(
        files={
            "/api/v1/repos/team-a/web/raw/poetry.lock": (
                LOCKS / "poetry" / "project" / "poetry.lock"
            ).read_bytes()
        }
    )
    yield from ((state, url) for url in raw.serve(state))


def test_a_fleet_is_scanned_once_per_target(
    workers: Workers, tmp_path: Path, git_server: tuple[raw.RawState, str]
) -> None:
    (tmp_path / "fleet").mkdir()
    lock = tmp_path / "fleet" / "uv"
    lock.mkdir()
    (lock / "uv.lock").write_bytes((LOCKS / "uvlock" / "project" / "uv.lock").read_bytes())
    folders = [lock, REPO / "examples" / "python-app", REPO / "examples" / "models-app"]
    state, base = git_server
    url = f"{base}/api/v1/repos/team-a/web/raw/poetry.lock"
    source = ("--allow-source", f"{base}/api/v1/repos/team-a/")
    listing = tmp_path / "fleet" / "targets.txt"
    listing.write_text(
        "# our services\nuv/uv.lock\n\n"
        + "".join(f"{f}\n" for f in folders[1:])
        + "dir:missing-project\n"
        + f"{url}\n"
    )
    workers.start("--offline", *source)
    workers.start("--offline", *source)
    job = workers.submit(listing, *source)
    rows = wait_for(workers.db, job, finished)
    states = {r.target: r.state for r in rows}
    assert states == {
        str(lock / "uv.lock"): "done",
        str(folders[1]): "done",
        str(folders[2]): "done",
        f"dir:{tmp_path / 'fleet' / 'missing-project'}": "failed",
        url: "done",
    }, workers.logs()
    assert state.hits == ["/api/v1/repos/team-a/web/raw/poetry.lock"]
    failed = next(r for r in rows if r.state == "failed")
    assert failed.error is not None and "no such file or directory" in failed.error
    assert failed.attempts == 1  # a missing target is not retried
    for r in rows:
        if r.state == "done":
            assert r.scan_id == scan_id_for(job, r.target)
    assert scan_count(workers.db) == 4
    per_target = scans_per_target(workers.db)
    assert all(n == 1 for n in per_target.values()) and per_target[f"lockfile:{url}"] == 1
    doc = status_json(workers, job)
    assert doc["counts"] == {"queued": 0, "running": 0, "stale": 0, "done": 4, "failed": 1}


def _running(rows: tuple[object, ...]) -> bool:
    return any(getattr(r, "state", None) == "running" for r in rows)


def _worker_of(workers: Workers, child: int) -> subprocess.Popen[bytes]:
    """The `auditor worker` whose pool process `child` is."""
    stat = Path(f"/proc/{child}/stat").read_text()
    parent = int(stat.rpartition(")")[2].split()[1])
    return next(p for p in workers.procs if p.pid in (child, parent))


@pytest.mark.parametrize("kill", ["worker", "pool-process"])
def test_a_worker_killed_mid_scan_loses_and_duplicates_nothing(
    workers: Workers, tmp_path: Path, slow_pypi: tuple[PyPIState, str], kill: str
) -> None:
    if kill == "worker" and workers.broker.startswith("redis"):
        limit = ["--time-limit", "10"]  # Redis hands the task out again after the visibility
    else:  # timeout (25 s for a 10 s limit); RabbitMQ as soon as the connection drops
        limit = []
    _, url = slow_pypi
    workers.env["AUDITOR_PYPI_URL"] = url
    folders = projects(tmp_path, 6)
    listing = tmp_path / "targets.txt"
    listing.write_text("".join(f"{f}\n" for f in folders))
    for _ in range(2):
        workers.start(*limit)
    job = workers.submit(listing)
    rows = wait_for(workers.db, job, _running, timeout=60)
    victim_row = next(r for r in rows if r.state == "running")
    assert victim_row.worker is not None
    child = int(victim_row.worker.rpartition(":")[2])
    victim = _worker_of(workers, child)
    if kill == "worker":
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool, no goodbye
    else:
        os.kill(child, signal.SIGKILL)  # the pool process alone (as the OOM killer would)
    started = time.monotonic()
    rows = wait_for(workers.db, job, finished, timeout=120)
    assert [r.state for r in rows] == ["done"] * 6, workers.logs()
    again = next(r for r in rows if r.target == victim_row.target)
    assert again.attempts >= 2  # it was really handed out again
    # Promptly: RabbitMQ as the connection drops, Redis once the visibility timeout (25 s
    # for a 10 s limit) and one 10 s sweep have passed; each then ~5 s of scanning.
    assert time.monotonic() - started < (30 if not limit else 60), workers.logs()
    # Zero lost, zero duplicated: one scan per target, under the job's id for it.
    per_target = scans_per_target(workers.db)
    assert scan_count(workers.db) == 6
    assert sorted(per_target.values()) == [1] * 6
    assert {r.scan_id for r in rows} == {scan_id_for(job, str(f)) for f in folders}


def fleet_cli(workers: Workers, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", "fleet", *args, "--db", workers.db],
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "80"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_dead_workers_target_is_stale_and_requeued_once(
    redis_broker: str,
    queue: str,
    pg_url: str,
    tmp_path: Path,
    slow_pypi: tuple[PyPIState, str],
) -> None:
    """SIGKILL the only worker mid-scan on Redis: `fleet status` shows its target `stale`
    (the worker no longer answers a ping) long before Redis would hand the task back;
    `fleet requeue --stale` sends it again (twice is harmless); a new worker scans it; the
    dead worker's own task, restored by Redis after the visibility timeout, finds it done."""
    workers = Workers(redis_broker, queue, pg_url, tmp_path)
    try:
        _, url = slow_pypi
        workers.env["AUDITOR_PYPI_URL"] = url
        folders = projects(tmp_path, 2)
        listing = tmp_path / "targets.txt"
        listing.write_text("".join(f"{f}\n" for f in folders))
        limit = ("--time-limit", "10")  # Redis restores the dead worker's task after 25 s
        victim = workers.start(*limit)
        job = workers.submit(listing)
        rows = wait_for(workers.db, job, _running, timeout=60)
        (dead,) = [r for r in rows if r.state == "running"]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()

        shown = fleet_cli(workers, "status", job, "--broker", redis_broker, *limit)
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), shown.stdout
        at = next(i for i, line in enumerate(lines) if line.startswith("stale    1"))
        assert dead.target in (lines[at], lines[at + 1].strip()), shown.stdout
        assert f"auditor fleet requeue --stale {job}" in " ".join(lines)
        doc = json.loads(
            fleet_cli(workers, "status", job, "--broker", redis_broker, "-f", "json").stdout
        )
        assert doc["counts"] == {"queued": 1, "running": 0, "stale": 1, "done": 0, "failed": 0}
        (stale,) = [t for t in doc["targets"] if t["state"] == "stale"]
        assert (
            stale["stale_reason"].startswith("worker auditor-")
            and "does not answer" in (stale["stale_reason"])
        )

        again = fleet_cli(workers, "requeue", "--stale", job, "--broker", redis_broker,
                          "--queue", queue, *limit)  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert f"requeued: {dead.target}" in again.stderr
        assert "1 stale target(s) sent again" in again.stderr
        twice = fleet_cli(workers, "requeue", "--stale", job, "--broker", redis_broker,
                          "--queue", queue, *limit)  # fmt: skip
        assert "0 stale target(s) sent again" in twice.stderr  # it is queued now, not stale

        workers.start(*limit)
        rows = wait_for(workers.db, job, finished, timeout=120)
        assert [r.state for r in rows] == ["done", "done"], workers.logs()
        deadline = time.monotonic() + 90
        while "'skipped'" not in workers.logs():  # the dead worker's task, back from Redis
            assert time.monotonic() < deadline, workers.logs()
            time.sleep(1)
        assert scan_count(workers.db) == 2
        assert sorted(scans_per_target(workers.db).values()) == [1, 1]
        assert {r.scan_id for r in rows} == {scan_id_for(job, str(f)) for f in folders}
    finally:
        workers.stop()


def test_the_database_away_is_retried_with_back_off_and_a_bad_target_is_not(
    redis_broker: str,
    queue: str,
    pg_url: str,
    postgres_server: PostgresServer,
    tmp_path: Path,
    slow_pypi: tuple[PyPIState, str],
) -> None:
    """Take the PostgreSQL database away from a live worker mid-fleet (it stops accepting
    connections and every backend is terminated, the scan in progress included), then give
    it back: each target hit meanwhile is retried with back-off (2 s, 4 s, …) and ends
    `done`, recorded once. A malformed lockfile fails at once, with its reason, no retry."""
    workers = Workers(redis_broker, queue, pg_url, tmp_path)
    name = make_url(pg_url).database
    try:
        _, url = slow_pypi
        workers.env["AUDITOR_PYPI_URL"] = url
        bad = tmp_path / "broken" / "uv.lock"
        bad.parent.mkdir()
        bad.write_text('version = 1\n[[package]]\nname = "x"\nversion = [\n')
        folders = projects(tmp_path, 3)
        listing = tmp_path / "targets.txt"
        listing.write_text("".join(f"{t}\n" for t in (bad, *folders)))
        workers.start()
        job = workers.submit(listing)
        rows = wait_for(
            workers.db, job, lambda rs: rs[0].state == "failed" and rs[1].state == "running"
        )
        with postgres_server.admin.connect() as admin:
            admin.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            admin.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
        time.sleep(8)  # the scan in progress fails; it and the next are retried, twice
        with postgres_server.admin.connect() as admin:
            admin.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        rows = wait_for(workers.db, job, finished, timeout=150)
        logs = (tmp_path / "worker-0.log").read_text(errors="replace")
        assert [r.state for r in rows] == ["failed", "done", "done", "done"], logs
        failed, hit = rows[0], rows[1]
        assert failed.attempts == 1 and failed.error is not None
        assert failed.error.startswith("uv.lock:5: not valid TOML"), failed.error
        assert hit.attempts >= 2  # the scan cut off by the outage ran again
        # How it was cut off depends on the moment: a connection checked out when the backends
        # were terminated says "terminating connection due to administrator command"; one
        # taken from the pool after says the database "is not currently accepting
        # connections". Either way the scan in progress failed and was retried (above).
        assert (
            "terminating connection due to administrator command" in logs
            or "is not currently accepting connections" in logs
        ), logs
        for target in map(str, folders):  # every target was hit by the outage
            assert f"{target}: could not record the retry" in logs, logs
        assert logs.count("retry: Retry in 2.0s") >= 3 and "retry: Retry in 4.0s" in logs, logs
        assert scan_count(workers.db) == 3
        assert sorted(scans_per_target(workers.db).values()) == [1, 1, 1]
        assert {r.scan_id for r in rows[1:]} == {scan_id_for(job, str(f)) for f in folders}
    finally:
        with postgres_server.admin.connect() as admin:  # never leave it refusing
            admin.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        workers.stop()
