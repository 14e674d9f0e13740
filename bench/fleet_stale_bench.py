"""Benchmark for issue 35's finish: lockfile URL targets, stale targets, `fleet requeue`.

    .venv/bin/python bench/fleet_stale_bench.py [--rounds 5] [--broker URL]

With a throwaway PostgreSQL database, real `auditor worker` processes (`--offline`, the
examples' registry snapshot in the store) and a loopback HTTP server serving
bench/inputs/real's uv.lock (680 packages):

1. URL vs path: the same uv.lock as a path and as a URL under `--allow-source`, each
   submitted alone `--rounds` times (a new job each: `fleet submit` to done); the median
   of each and their difference, the fetch's cost;
2. `fleet status` wall: no running target (the broker is not asked), a running target whose
   worker answers (the ping returns once it has), and one whose worker was SIGKILLed (the
   ping waits its whole 5 s), each median of `--rounds` calls;
3. after the SIGKILL: `fleet requeue --stale` to done with a new worker; the target recorded
   with exactly one scan.
Limit: the dead worker's target shown `stale` by the first `fleet status` after the kill;
exactly one scan per target. Prints Markdown; always exits 0; PASS/MISS per limit.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench_tools import child_env
from fleet_workers_bench import database, run, start_workers, stop, wait_done

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / "bench" / "inputs" / "real"
AUDITOR = (sys.executable, "-m", "auditor")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(root: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def submit(url: str, broker: str, queue: str, listing: Path, *extra: str) -> str:
    return run(url, "fleet", "submit", str(listing), "--broker", broker, "--queue", queue,
               *extra).strip()  # fmt: skip


def status_wall(url: str, broker: str, job: str) -> tuple[float, dict[str, object]]:
    env = child_env({"AUDITOR_DB": url, "PYTHONPATH": str(REPO), "COLUMNS": "80"})
    start = time.perf_counter()
    ran = subprocess.run([*AUDITOR, "fleet", "status", job, "--broker", broker, "-f", "json"],
                         env=env, capture_output=True, text=True, check=True)  # fmt: skip
    took = time.perf_counter() - start
    doc: dict[str, object] = json.loads(ran.stdout)
    return took, doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fleet-stale-bench-") as tmp, database() as url:
        root = Path(tmp)
        run(url, "cache", "import", str(REPO / "examples" / "pypi-snapshot.jsonl"))
        lock = gzip.decompress((REAL / "uvlock680.uv.lock.gz").read_bytes())
        (root / "git" / "raw" / "team-a").mkdir(parents=True)
        server, base = serve(root / "git")
        source = ("--allow-source", f"{base}/raw/team-a/")
        queue = f"auditor-bench-{secrets.token_hex(3)}"
        procs = start_workers(1, args.broker, queue, url, root, *source)
        try:
            time.sleep(3)
            walls: dict[str, list[float]] = {"path": [], "URL": []}
            for i in range(args.rounds):
                # A new file each round: each job's target is new (no previous scan to compare).
                (root / "git" / "raw" / "team-a" / f"p{i}").mkdir()
                (root / "git" / "raw" / "team-a" / f"p{i}" / "uv.lock").write_bytes(lock)
                for kind, line in (("path", str(root / "git" / "raw" / "team-a" / f"p{i}"
                                                    / "uv.lock")),
                                   ("URL", f"{base}/raw/team-a/p{i}/uv.lock")):  # fmt: skip
                    listing = root / f"{kind}-{i}.txt"
                    listing.write_text(line + "\n")
                    start = time.perf_counter()
                    job = submit(url, args.broker, queue, listing, *source)
                    wait_done(url, job, 1)
                    walls[kind].append(time.perf_counter() - start)
            path_s, url_s = (statistics.median(walls[k]) for k in ("path", "URL"))
            rows.append(f"| uv.lock (680 packages) as a path, submit to done (median of "
                        f"{args.rounds}) | {path_s:.2f} s | | |")  # fmt: skip
            rows.append(f"| the same as a URL from 127.0.0.1 | {url_s:.2f} s | | "
                        f"fetch: {url_s - path_s:+.2f} s |")  # fmt: skip
            job0 = submit(url, args.broker, queue, root / "path-0.txt", *source)
            wait_done(url, job0, 1)
            idle = [status_wall(url, args.broker, job0)[0] for _ in range(args.rounds)]
            rows.append(f"| `fleet status`, nothing running (median of {args.rounds}) | "
                        f"{statistics.median(idle):.2f} s | | |")  # fmt: skip
        finally:
            stop(procs)

        # Forty URL targets (one file, told apart by a query the server ignores): one of
        # them is always running while `fleet status` is timed.
        many = root / "many.txt"
        many.write_text("".join(f"{base}/raw/team-a/p0/uv.lock?n={i}\n" for i in range(40)))
        queue = f"auditor-bench-{secrets.token_hex(3)}"
        procs = start_workers(1, args.broker, queue, url, root, *source)
        try:
            time.sleep(3)
            job = submit(url, args.broker, queue, many, *source)
            alive = []
            for _ in range(args.rounds):
                took, doc = status_wall(url, args.broker, job)
                alive.append(took)
            rows.append(f"| `fleet status`, a running target, its worker alive (median of "
                        f"{args.rounds}) | {statistics.median(alive):.2f} s | | |")  # fmt: skip
            from auditor.fleet.state import open_fleet

            while True:
                with open_fleet(url) as fleet:
                    running = [r for r in fleet.job(job) if r.state == "running"]
                if running:
                    break
                time.sleep(0.1)
            os.killpg(procs[0].pid, signal.SIGKILL)
            procs[0].wait()
            dead = []
            first: dict[str, object] = {}
            for _ in range(args.rounds):
                took, doc = status_wall(url, args.broker, job)
                dead.append(took)
                first = first or doc
            counts = first.get("counts", {})
            stale_now = isinstance(counts, dict) and counts.get("stale") == 1
            rows.append(f"| `fleet status` right after SIGKILL of the worker (median of "
                        f"{args.rounds}): the target `stale` at the first call | "
                        f"{statistics.median(dead):.2f} s | stale at once | "
                        f"{'PASS' if stale_now else 'MISS'} |")  # fmt: skip
        finally:
            stop(procs)
        procs = start_workers(1, args.broker, queue, url, root, *source)
        try:
            time.sleep(3)
            start = time.perf_counter()
            run(url, "fleet", "requeue", "--stale", job, "--broker", args.broker,
                "--queue", queue)  # fmt: skip
            wait_done(url, job, 40)
            took = time.perf_counter() - start
        finally:
            stop(procs)
            server.shutdown()
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            once = conn.execute(text(
                "SELECT count(*), count(DISTINCT f.target) FROM fleet_jobs f JOIN scans s "
                "ON s.id = f.scan_id WHERE f.job_id = :job"), {"job": job}).one()  # fmt: skip
        engine.dispose()
        ok = once[0] == once[1] == 40
        rows.append(f"| `fleet requeue --stale`, a new worker, the 40 URL targets done: "
                    f"scans / targets | {took:.1f} s; {once[0]} / {once[1]} | 40 / 40 | "
                    f"{'PASS' if ok else 'MISS'} |")  # fmt: skip
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs (shared); python "
          f"{platform.python_version()}; broker {args.broker}")  # fmt: skip
    print(f"- load average at end (1/5/15 min): {load}")
    print()
    print("| measure | value | limit | verdict |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
