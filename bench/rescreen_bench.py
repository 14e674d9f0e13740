"""Issue 34: re-screening 200 stored scans of ~100 components, against rescanning them.

The scans are real: the real-world set (tests/data/realworld/: public projects' lockfiles)
is scanned once against the loopback registries replaying the recorded answers
(bench/realworld_bench.py), and 200 stored scans are cut from it, 100 components each (a
sliding window, so each target holds a different mix of organisations), each with its
origins, findings and dependencies, as 200 targets of a fresh SQLite store.

Measured, in one run:
- `rescreen_stored` over the 200 (the newest scan of each target): the first run, which
  stores an evaluation for each; a second, unchanged (nothing stored); and one after a list
  update (a new list naming organisations the set holds);
- the peer it replaces: the full scan of the same set against the loopback registries (no
  network latency at all: the cheapest a rescan can be), per 100 components, times 200.

Run: `.venv/bin/python bench/rescreen_bench.py` (`--db URL` for PostgreSQL).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import realworld_bench  # noqa: E402

from auditor.config import Config  # noqa: E402
from auditor.model import Scan, Target, TargetKind  # noqa: E402
from auditor.policy.engine import load_policy  # noqa: E402
from auditor.portfolio.db import StoreAccess  # noqa: E402
from auditor.rescreen import rescreen_stored  # noqa: E402
from auditor.screening.lists import default_dir  # noqa: E402
from auditor.store import open_store  # noqa: E402

SCANS = 200
SIZE = 100
UPDATE = """\
id: bench-update
title: A list update for the benchmark
authority: Bench
source: https://www.example.gov/bench
version: "2026-12-08"
published: 2026-12-08
scope: Benchmark data.
entries:
"""


def window(full: Scan, i: int) -> Scan:
    """Stored scan `i`: 100 components of the real scan, from offset 7*i, as its own target."""
    n = len(full.components)
    picked = [full.components[(7 * i + k) % n] for k in range(min(SIZE, n))]
    purls = {c.purl for c in picked}
    ref = f"/bench/project-{i:03d}"
    target = Target(ref, TargetKind.DIRECTORY, f"directory:{ref}", f"sha256:{i:064x}")
    return replace(
        full,
        id=str(uuid.uuid4()),
        started_at=f"2026-12-0{1 + i % 7}T{i % 24:02d}:{i % 60:02d}:00.000Z",
        targets=(target,),
        components=tuple(picked),
        origins=tuple(o for o in full.origins if o.purl in purls),
        dependencies=tuple(d for d in full.dependencies if d.source in purls),
        findings=tuple(f for f in full.findings if f.purl in purls),
        changes=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="a store URL (default: a new SQLite file)")
    args = parser.parse_args()
    started = time.process_time()
    full, scan_seconds = realworld_bench.scan()
    scan_cpu = time.process_time() - started
    organisations = sorted({o.organisation.value for o in full.origins if o.organisation})
    print(f"real-world set: {len(full.components)} components, {len(organisations)} "
          f"organisations; full scan against loopback registries {scan_seconds:.2f} s "
          f"({scan_cpu:.2f} s CPU in this process)")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="rescreen-bench-"))
    url = args.db or f"sqlite:///{work / 'auditor.db'}"
    try:
        with open_store(url) as store:
            for i in range(SCANS):
                store.save_scan(window(full, i))
        from auditor.resolvers.publishers import load

        kb = load()
        keys = [o.key for o in kb.organisations if o.name in organisations][:5]
        lists = work / "lists"
        shutil.copytree(default_dir(), lists)
        entries = "".join(f"  - name: {k}\n    organisations: [{k}]\n" for k in keys)
        (lists / "bench-update.yaml").write_text(UPDATE + entries, encoding="utf-8")
        rows = []
        base = Config(no_resolve=True, policy=load_policy())  # read once, as the CLI does
        for label, config in (
            ("first rescreen (stores 200 evaluations)", base),
            ("again, unchanged (stores none)", base),
            ("after a list update", replace(base, screening_lists=lists)),
        ):
            started, cpu = time.perf_counter(), time.process_time()
            with StoreAccess.open(url) as access:
                outcomes = rescreen_stored(access, config)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            stored = sum(o.stored for o in outcomes)
            new = sum(len(o.new) for o in outcomes)
            rows.append((label, len(outcomes), stored, new, seconds, cpu))
        rescan = scan_seconds / len(full.components) * SIZE * SCANS
        print(f"\n{SCANS} stored scans of {SIZE} components ({url.split(':')[0]})\n")
        print(
            "| run | scans | evaluations stored | new findings | wall s | CPU s | wall per scan |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for label, n, stored, new, seconds, cpu in rows:
            print(f"| {label} | {n} | {stored} | {new} | {seconds:.2f} | {cpu:.2f} "
                  f"| {seconds / n:.3f} |")  # fmt: skip
        print(f"| peer: rescanning them against loopback registries (est.) | {SCANS} | - | - "
              f"| {rescan:.2f} | - | {rescan / SCANS:.3f} |")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
