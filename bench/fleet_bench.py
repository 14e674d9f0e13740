"""Benchmark for issue 16: many scanners on one database; history and diff at 1,000 scans.

    .venv/bin/python bench/fleet_bench.py [--scans-per-writer N] [--history-scans N]
        [--components N] [--no-postgres]

Measures, on a throwaway SQLite file and a throwaway PostgreSQL database (on the server
named by AUDITOR_TEST_PG_URL, default postgres@127.0.0.1:5432; skipped when unreachable):
- scans stored per second with 1, 4 and 8 writer processes, each saving N scans of 100
  components (origins, 99 edges, 2 findings) of a shared target;
- with 1,000 stored scans of 1,000 components each of one target (generated through
  Store.save_scan), the whole CLI: `history`, `history --target`, `diff --since-last`,
  `diff A B` (median of 3 runs each). Limit: each under 1 s.
Prints Markdown; always exits 0; prints PASS/MISS per limit.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench_tools import child_env, postgres_database

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)
from auditor.store import open_store

REPO = Path(__file__).resolve().parent.parent
AUDITOR = REPO / ".venv" / "bin" / "auditor"
IDENTITY = "directory:/srv/fleet"
PUBLISHERS = ("alice", "bob", "carol", "dave")


def synthetic(scan_id: str, n: int, round_: int, started: str) -> Scan:
    """A scan of `n` components whose versions and publishers drift a little per round."""
    comps = tuple(
        Component(
            purl=f"pkg:pypi/pkg{i}@1.{i % 7 + (round_ if i % 50 == 0 else 0)}",
            kind=ComponentKind.LIBRARY,
            name=f"pkg{i}",
            version=f"1.{i % 7 + (round_ if i % 50 == 0 else 0)}",
            direct=i < 20,
            found_by="uv-lock",
        )
        for i in range(n)
        if (i + round_) % 97  # a few components come and go
    )
    return Scan(
        id=scan_id,
        started_at=started,
        finished_at=started,
        status=ScanStatus.COMPLETE,
        tool_version="0.1.0",
        targets=(Target("/srv/fleet", TargetKind.DIRECTORY, IDENTITY, "sha256:00"),),
        components=comps,
        origins=tuple(
            Origin(
                c.purl,
                OriginStatus.RESOLVED,
                publisher=Claim(PUBLISHERS[(i + round_ // 10) % 4], Strength.REGISTRY),
                country=Claim("US", Strength.DECLARED),
            )
            for i, c in enumerate(comps)
        ),
        dependencies=tuple(Dependency(a.purl, b.purl) for a, b in pairwise(comps)),
        findings=tuple(
            Finding("origin.unknown", Severity.LOW, Action.REPORT, c.purl, "no origin")
            for c in comps[round_ % 5 :: 400]
        ),
    )


def writer(url: str, number: int, count: int, ready: Any) -> None:
    """One scanner process: build its scans, wait for all the others, then save them."""
    with open_store(url) as store:
        scans = [
            synthetic(
                f"w{number}-{i}-{secrets.token_hex(4)}", 100, i, f"2026-01-01T00:00:{i % 60:02d}Z"
            )
            for i in range(count)
        ]
        ready.wait()  # imports, connections and scans are not part of the measure
        for scan in scans:
            store.save_scan(scan)


def throughput(url: str, writers: int, count: int) -> float:
    """Scans per second with `writers` processes saving `count` scans each."""
    ctx = get_context("spawn")
    ready = ctx.Barrier(writers + 1)
    procs = [ctx.Process(target=writer, args=(url, n, count, ready)) for n in range(writers)]
    for p in procs:
        p.start()
    ready.wait()
    start = time.perf_counter()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"writer failed with exit code {p.exitcode}")
    return writers * count / (time.perf_counter() - start)


def cli(url: str, *args: str) -> tuple[float, str]:
    """Median wall time of 3 whole-CLI runs, and the last run's first output line."""
    times = []
    out = ""
    for _ in range(3):
        start = time.perf_counter()
        ran = subprocess.run(
            [str(AUDITOR), *args],
            env=child_env({"AUDITOR_DB": url}),
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(time.perf_counter() - start)
        out = (ran.stdout.splitlines() or [""])[0]
    return statistics.median(times), out


def history_and_diff(url: str, scans: int, components: int) -> list[str]:
    """Markdown rows for the CLI over `scans` stored scans of `components` each."""
    start = time.perf_counter()
    ids = []
    with open_store(url) as store:
        ids = [s.id for s in reversed(store.list_scans(IDENTITY))]
        if ids and len(ids) != scans:
            raise SystemExit(f"{url}: holds {len(ids)} scans, not {scans}")
        generated = not ids
        for r in range(scans if generated else 0):
            started = f"2026-{1 + r // 600:02d}-{1 + r // 24 % 25:02d}T{r % 24:02d}:00:00Z"
            scan = synthetic(f"h{r:05d}-{secrets.token_hex(4)}", components, r, started)
            store.save_scan(scan)
            ids.append(scan.id)
    made = time.perf_counter() - start
    how = f"{made:.1f} s ({scans / made:.1f} scans/s)" if generated else "reused (--history-db)"
    rows = [f"| generate {scans:,} scans x {components:,} components (Store.save_scan) |"
            f" {how} |  |  |"]  # fmt: skip
    for label, args in (
        ("`history` (all scans)", ("history",)),
        ("`history --target IDENTITY`", ("history", "--target", IDENTITY)),
        ("`history --format json`", ("history", "--format", "json")),
        ("`diff --since-last IDENTITY`", ("diff", "--since-last", IDENTITY)),
        ("`diff A B` (first and last scan)", ("diff", ids[0], ids[-1], "-f", "json")),
    ):
        took, _ = cli(url, *args)
        verdict = "PASS" if took < 1 else "MISS"
        rows.append(f"| {label} | {took:.3f} s | < 1 s | {verdict} |")
    return rows


def main() -> int:
    """Run everything and print the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans-per-writer", type=int, default=40)
    parser.add_argument("--history-scans", type=int, default=1000)
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--history-db", metavar="FILE", help="Keep the SQLite history database here; reuse it."
    )
    args = parser.parse_args()
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs;"
        f" python {platform.python_version()}",
        f"- throughput: each writer process saves {args.scans_per_writer} scans of ~100"
        " components (origins, edges, findings) of one shared target; all start together",
        "",
        "| backend | writers | scans stored | scans/s |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg:
        backends = [("SQLite", f"sqlite:///{tmp}/throughput-{{n}}.db")]
        if pg is not None and not args.no_postgres:
            backends.append(("PostgreSQL", pg))
        for name, template in backends:
            for n in (1, 4, 8):
                url = template.format(n=n)
                with open_store(url) as store:
                    before = len(store.list_scans())
                rate = throughput(url, n, args.scans_per_writer)
                with open_store(url) as store:
                    stored = len(store.list_scans()) - before
                lines.append(f"| {name} | {n} | {stored} | {rate:.1f} |")
        lines += ["", "| measure (SQLite) | value | limit | verdict |", "|---|---|---|---|"]
        history_db = args.history_db or f"{tmp}/history.db"
        lines += history_and_diff(f"sqlite:///{history_db}", args.history_scans,
                                  args.components)  # fmt: skip
        if pg is not None and not args.no_postgres:
            with postgres_database() as pg_history:
                assert pg_history is not None
                lines += ["", "| measure (PostgreSQL) | value | limit | verdict |",
                          "|---|---|---|---|"]  # fmt: skip
                lines += history_and_diff(pg_history, args.history_scans, args.components)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines.insert(2, f"- load average at end (1/5/15 min): {load}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
