"""Real brokers, real PostgreSQL and real `auditor worker` subprocesses for the fleet tests.

Each test gets its own PostgreSQL database (tests/store/conftest.py) and its own broker
queue, so runs in parallel with other tests never share work. A broker that is not running
skips its tests loudly, and fails them under CI=true (as tests/prereqs.py says up front).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from auditor.fleet.state import JobTarget, open_fleet
from tests.prereqs import rabbitmq_ready, redis_ready
from tests.store.conftest import pg_url, postgres_server  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parent.parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _require(problem: str | None, what: str) -> None:
    if problem is None:
        return
    reason = f"{what} unreachable: {problem}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the fleet tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> str:
    """Each broker the fleet supports."""
    if request.param == "redis":
        _require(redis_ready(), "Redis")
        return REDIS_URL
    _require(rabbitmq_ready(), "RabbitMQ")
    return RABBITMQ_URL


@pytest.fixture
def redis_broker() -> str:
    _require(redis_ready(), "Redis")
    return REDIS_URL


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> Iterator[str]:
    """A queue name no other test run uses; deleted from the broker afterwards."""
    name = f"auditor.test.{secrets.token_hex(4)}"
    yield name
    from kombu import Connection  # type: ignore[attr-defined]  # untyped, re-exported

    connect: Any = Connection

    for url in (REDIS_URL, RABBITMQ_URL):
        try:
            with connect(url, connect_timeout=3) as conn:
                conn.default_channel.queue_delete(name)
        except Exception:  # the broker not used by this test may be absent
            pass


@dataclass
class Workers:
    """`auditor worker` subprocesses, each in its own session (so a kill takes the pool)."""

    broker: str
    queue: str
    db: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *extra: str, concurrency: int = 1) -> subprocess.Popen[bytes]:
        with open(self.cwd / f"worker-{len(self.procs)}.log", "wb") as log:
            proc = self._popen(extra, concurrency, log)
        self.procs.append(proc)
        return proc

    def _popen(
        self, extra: tuple[str, ...], concurrency: int, log: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "auditor", "worker", "--broker", self.broker,
             "--queue", self.queue, "--db", self.db, f"--concurrency={concurrency}", *extra],
            cwd=self.cwd,
            env={**os.environ, "PYTHONPATH": str(REPO), **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def submit(self, targets_file: Path, *extra: str) -> str:
        ran = subprocess.run(
            [sys.executable, "-m", "auditor", "fleet", "submit", str(targets_file),
             "--broker", self.broker, "--queue", self.queue, "--db", self.db, *extra],
            cwd=self.cwd,
            env={**os.environ, "PYTHONPATH": str(REPO), **self.env},
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.cwd.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def workers(broker: str, queue: str, pg_url: str, tmp_path: Path) -> Iterator[Workers]:  # noqa: F811
    group = Workers(broker, queue, pg_url, tmp_path)
    yield group
    group.stop()


def wait_for(
    db: str, job_id: str, done: Callable[[tuple[JobTarget, ...]], bool], timeout: float = 120
) -> tuple[JobTarget, ...]:
    """The job's rows once `done(rows)` holds; fails with the rows after `timeout`."""
    deadline = time.monotonic() + timeout
    with open_fleet(db) as fleet:
        while True:
            rows = fleet.job(job_id)
            if rows and done(rows):
                return rows
            if time.monotonic() > deadline:
                pytest.fail(f"timed out; state: {[(r.target, r.state, r.error) for r in rows]}")
            time.sleep(0.2)


def finished(rows: tuple[JobTarget, ...]) -> bool:
    return all(r.state in ("done", "failed") for r in rows)
