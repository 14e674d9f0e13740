"""Benchmark for issue 35: 200 targets scanned by `auditor worker` processes on Celery.

    .venv/bin/python bench/fleet_workers_bench.py [--targets 200] [--workers 4]
        [--broker URL] [--no-kill]

Targets (copied into a temporary folder, each its own identity): real lockfiles from
bench/inputs/real (uv.lock with its pyproject.toml, 680 packages; yarn.lock with its
package.json, 1,221 packages), alternating, and every fifth the small Hub cache of
examples/models-app. The store is a throwaway PostgreSQL database holding the examples'
registry snapshots (`cache import`), the workers run `--offline` (no network).

1. serial: one worker, one process, every target (`fleet submit` to all done);
2. parallel: `--workers` workers of one process each, the same targets (a new job);
3. kill: the same again, one worker SIGKILLed (its whole process group) once a fifth of the
   targets are done; the broker hands its scan to another worker (Redis: after the
   visibility timeout of `--time-limit 30`).
Limit: parallel wall <= 1.3 x serial / min(workers, cores); after the kill every target done
with exactly one scan. Prints Markdown; always exits 0; PASS/MISS per limit.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench_tools import child_env, postgres_database

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / "bench" / "inputs" / "real"
AUDITOR = (sys.executable, "-m", "auditor")


def make_targets(root: Path, count: int) -> Path:
    """`count` target folders under `root` and the targets file listing them."""
    kinds = {
        "uv": {"uv.lock": "uvlock680.uv.lock.gz", "pyproject.toml": "uvlock680.pyproject.toml.gz"},
        "yarn": {"yarn.lock": "yarnlock1221.yarn.lock.gz",
                 "package.json": "yarnlock1221.package.json.gz"},
    }  # fmt: skip
    blobs = {
        name: {f: gzip.decompress((REAL / gz).read_bytes()) for f, gz in files.items()}
        for name, files in kinds.items()
    }
    lines = []
    for i in range(count):
        folder = root / f"target-{i:03d}"
        if i % 5 == 4:
            shutil.copytree(REPO / "examples" / "models-app" / "hf-cache", folder / "hf-cache")
        else:
            folder.mkdir(parents=True)
            for name, data in blobs["uv" if i % 2 else "yarn"].items():
                (folder / name).write_bytes(data)
        lines.append(str(folder))
    listing = root / "targets.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing


@contextmanager
def database() -> Iterator[str]:
    """A throwaway PostgreSQL database: the fleet needs one, so none is an error."""
    with postgres_database() as url:
        if url is None:
            raise SystemExit("fleet bench: PostgreSQL does not answer")
        yield url


def run(url: str, *args: str) -> str:
    env = child_env({"AUDITOR_DB": url, "PYTHONPATH": str(REPO)})
    ran = subprocess.run([*AUDITOR, *args], env=env, capture_output=True, text=True, check=True)
    return ran.stdout


def start_workers(
    n: int, broker: str, queue: str, url: str, cwd: Path, *extra: str
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        with open(cwd / f"worker-{queue}-{i}.log", "wb") as log:
            procs.append(subprocess.Popen(
                [*AUDITOR, "worker", "--broker", broker, "--queue", queue, "--db", url,
                 "--concurrency", "1", "--offline", *extra],
                env=child_env({"PYTHONPATH": str(REPO)}), cwd=cwd, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def states(url: str, job: str) -> dict[str, int]:
    from auditor.fleet.state import open_fleet
    from auditor.fleet.status_render import counts

    with open_fleet(url) as fleet:
        return counts(fleet.job(job))


def wait_done(url: str, job: str, total: int, timeout: float = 3600) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        c = states(url, job)
        if c["done"] + c["failed"] == total:
            return time.perf_counter() - start
        time.sleep(0.5)
    raise SystemExit(f"job {job} not finished after {timeout} s: {states(url, job)}")


def scans_of_job(url: str, job: str) -> tuple[int, int, int]:
    """(targets done, scans stored under the job's ids, targets with more than one scan)."""
    from sqlalchemy import create_engine, text

    from auditor.fleet.state import open_fleet, scan_id_for

    with open_fleet(url) as fleet:
        rows = fleet.job(job)
    ids = [scan_id_for(job, r.target) for r in rows]
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM scans WHERE id = ANY(:ids)"), {"ids": ids}
        ).scalar_one()
        dupes = conn.execute(text(
            "SELECT count(*) FROM (SELECT st.target_id FROM scan_targets st JOIN fleet_jobs f "
            "ON f.scan_id = st.scan_id WHERE f.job_id = :job GROUP BY st.target_id "
            "HAVING count(*) > 1) d"), {"job": job}).scalar_one()  # fmt: skip
    engine.dispose()
    return sum(r.state == "done" for r in rows), int(stored), int(dupes)


def timed_job(
    url: str, broker: str, workers: int, listing: Path, cwd: Path, total: int
) -> tuple[float, str]:
    queue = f"auditor-bench-{secrets.token_hex(3)}"
    procs = start_workers(workers, broker, queue, url, cwd)
    try:
        time.sleep(3)  # the workers connect; their start-up is not the fleet's scanning
        job = run(
            url, "fleet", "submit", str(listing), "--broker", broker, "--queue", queue
        ).strip()
        return wait_done(url, job, total), job
    finally:
        stop(procs)


def kill_job(
    url: str, broker: str, workers: int, listing: Path, cwd: Path, total: int
) -> tuple[float, str, str]:
    queue = f"auditor-bench-{secrets.token_hex(3)}"
    procs = start_workers(workers, broker, queue, url, cwd, "--time-limit", "30")
    try:
        time.sleep(3)
        job = run(
            url, "fleet", "submit", str(listing), "--broker", broker, "--queue", queue
        ).strip()
        start = time.perf_counter()
        while states(url, job)["done"] < total // 5:
            time.sleep(0.2)
        from auditor.fleet.state import open_fleet

        with open_fleet(url) as fleet:
            running = [r for r in fleet.job(job) if r.state == "running"]
        victim_pid = (
            int(running[0].worker.rpartition(":")[2]) if running and running[0].worker else 0
        )
        victim = next(
            (p for p in procs if p.pid == victim_pid or _parent(victim_pid) == p.pid), procs[0]
        )
        os.killpg(victim.pid, signal.SIGKILL)
        note = (
            f"killed worker {victim.pid} while it scanned {running[0].target if running else '?'}"
        )
        wait_done(url, job, total)
        return time.perf_counter() - start, job, note
    finally:
        stop(procs)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp, database() as url:
        root = Path(tmp)
        # Each job scans its own copies: no job finds another's previous scans to compare.
        listings = [make_targets(root / f"targets-{n}", args.targets) for n in range(3)]
        run(url, "cache", "import", str(REPO / "examples" / "pypi-snapshot.jsonl"))
        run(url, "cache", "import", str(REPO / "examples" / "hub-snapshot.jsonl"))
        serial, job1 = timed_job(url, args.broker, 1, listings[0], root, args.targets)
        parallel, job2 = timed_job(url, args.broker, args.workers, listings[1], root, args.targets)
        cores = os.cpu_count() or 1
        bound = 1.3 * serial / min(args.workers, cores)
        rows = [
            f"| serial: 1 worker | {serial:.1f} s | | |",
            f"| {args.workers} workers | {parallel:.1f} s | <= {bound:.1f} s (1.3 x serial / "
            f"min({args.workers}, {cores} cores)) | {'PASS' if parallel <= bound else 'MISS'} |",
        ]
        for job in (job1, job2):
            done, stored, dupes = scans_of_job(url, job)
            ok = done == stored == args.targets and dupes == 0
            rows.append(f"| job {job}: targets done / scans stored / duplicated | {done} / "
                        f"{stored} / {dupes} | {args.targets} / {args.targets} / 0 | "
                        f"{'PASS' if ok else 'MISS'} |")  # fmt: skip
        if not args.no_kill:
            took, job3, note = kill_job(
                url, args.broker, args.workers, listings[2], root, args.targets
            )
            done, stored, dupes = scans_of_job(url, job3)
            ok = done == stored == args.targets and dupes == 0
            rows.append(f"| SIGKILL one of {args.workers} workers mid-run ({note}): done / "
                        f"stored / duplicated, wall {took:.1f} s | {done} / {stored} / {dupes} | "
                        f"{args.targets} / {args.targets} / 0 | "
                        f"{'PASS' if ok else 'MISS'} |")  # fmt: skip
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs (shared); python "
          f"{platform.python_version()}; broker {args.broker}")  # fmt: skip
    print(f"- load average at end (1/5/15 min): {load}")
    print(f"- {args.targets} targets: yarn.lock (1,221 packages) and uv.lock (680) projects "
          "from bench/inputs/real, every fifth the examples' Hub cache; workers --offline "
          "(the examples' snapshots in the store), one process each")  # fmt: skip
    print()
    print("| measure | value | limit | verdict |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
