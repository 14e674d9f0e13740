"""Issue 34: what screening adds to a scan — the lists' loading and `screen()` — beside the
scan itself, on the real-world lockfiles (tests/data/realworld/, loopback registries), and on
a lockfile-only `--no-resolve` scan of the same lockfiles (no organisation: nothing is read).

Run: `.venv/bin/python bench/screening_bench.py [--markdown]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def _best(fn: Callable[[], object], runs: int = 7) -> tuple[float, float]:
    """Best and median seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    import realworld_bench

    from auditor.config import Config
    from auditor.pipeline import run_scan
    from auditor.resolvers.publishers import load
    from auditor.screening.check import screen
    from auditor.screening.lists import _read, default_dir, load_lists

    scan, seconds = realworld_bench.scan()
    kb, lists = load(), load_lists()
    named = sum(o.organisation is not None for o in scan.origins)
    load_best, _ = _best(lambda: _read(default_dir()))
    screen_best, screen_median = _best(lambda: screen(scan, lists, kb))
    found = screen(scan, lists, kb)
    target = str(realworld_bench.DATA / "lockfiles")
    offline = replace(Config(store=False), no_resolve=True)
    lock_best, _ = _best(lambda: run_scan([target], offline), runs=3)
    lock_scan = run_scan([target], offline)
    lock_named = sum(o.organisation is not None or bool(o.roots) for o in lock_scan.origins)
    rows = [
        ("components (resolved scan)", f"{len(scan.components)}"),
        ("origins naming an organisation", f"{named}"),
        ("full scan, loopback registries", f"{seconds:.2f} s"),
        ("reading the shipped lists (cold, best of 7)", f"{load_best * 1000:.2f} ms"),
        ("screen() on the scan (best / median of 7)",
         f"{screen_best * 1000:.2f} / {screen_median * 1000:.2f} ms"),
        ("matches on this healthy set", f"{len(found)}"),
        ("lockfile-only --no-resolve scan (best of 3)", f"{lock_best:.2f} s"),
        ("its origins naming an organisation or root (0: lists never read)", f"{lock_named}"),
    ]  # fmt: skip
    if args.markdown:
        print("| measure | value |\n| --- | --- |")
        for k, v in rows:
            print(f"| {k} | {v} |")
    else:
        for k, v in rows:
            print(f"{k:70} {v}")


if __name__ == "__main__":
    main()
