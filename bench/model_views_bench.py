"""Benchmark for issue 26: `show`, `origins` and `why` on a 1,000-model scan, < 0.5 s each.

    PYTHONPATH=. python bench/model_views_bench.py

Stores the 1,000-model scan of tests/big_lineage.py (100 families: base → instruct → nine
re-packagers' quantisations) in a throwaway SQLite store, then times, each as a whole CLI
run (`python -m auditor …`, bytecode compiled by one untimed run; median of 5): `show` of a
quantisation, `origins --by country`, and `why` of a quantisation; and in-process the part
that is this issue's (load the stored scan, trace, render the answer). Limit: < 0.5 s each
for the whole CLI run. Always exits 0; prints a Markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_tools import child_env

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.store import open_store  # noqa: E402
from tests.big_lineage import big_model_scan  # noqa: E402

LIMIT = 0.5
RUNS = 5


def _median(run: Callable[[], object]) -> tuple[float, list[float]]:
    run()  # untimed: compiles bytecode, warms the page cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    scan, _ = big_model_scan()
    quant = next(c.purl for c in scan.components if c.name.startswith("repack4/base-40-"))
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        with open_store(db) as store:
            store.save_scan(scan)
        env = child_env({"AUDITOR_DB": db, "PYTHONPATH": str(REPO)})
        commands = {
            "--version (start-up floor)": ["--version"],
            "show": ["show", scan.id, quant],
            "origins --by country": ["origins", scan.id, "--by", "country"],
            "why": ["why", scan.id, quant],
        }
        rows = []
        for label, args in commands.items():
            argv = [sys.executable, "-m", "auditor", *args]

            def cli(argv: list[str] = argv) -> object:
                done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
                assert done.returncode == 0, done.stderr
                assert "CN" in done.stdout or argv[-1] == "--version"
                return done

            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            median, times = _median(cli)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / (RUNS + 1)
            rows.append((label, median, times, cpu))
        inproc = _in_process(db, scan.id, quant)
    load = os.getloadavg()
    print("## Issue 26: the model answer on a 1,000-model scan — `bench/model_views_bench.py`\n")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    print(f"- machine: {machine}; python {platform.python_version()}")
    print(f"- load average at end (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print("- input: tests/big_lineage.py, 1,000 models in 100 families, 1,000 lineage edges\n")
    print(
        "| command (whole CLI run) | wall runs s | wall median s | CPU s (mean) | limit | verdict |"
    )
    print("|---|---|---|---|---|---|")
    for label, median, times, cpu in rows:
        verdict = "" if "floor" in label else ("PASS" if median < LIMIT else "MISS")
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"| `auditor {label}` | {runs} | {median:.3f} | {cpu:.3f} | < {LIMIT} s | {verdict} |"
        )
    print("\n| in-process (median of 5) | s |\n|---|---|")
    for label, seconds in inproc:
        print(f"| {label} | {seconds:.4f} |")


def _in_process(db: str, scan_id: str, quant: str) -> list[tuple[str, float]]:
    from auditor.graph import ProvenanceGraph
    from auditor.graph.trace import Tracer
    from auditor.render.show import component_report, find_component

    with open_store(db) as store:
        stored = store.load_scan(scan_id)
        load, _ = _median(lambda: store.load_scan(scan_id))

    def trace_all() -> object:
        tracer = Tracer(stored)
        return [tracer.trace(c.purl) for c in stored.components]

    trace, _ = _median(trace_all)
    show, _ = _median(lambda: component_report(stored, find_component(stored, quant)))
    origins, _ = _median(
        lambda: ProvenanceGraph.from_scan(stored, lineage_only=True).origins("country")
    )
    return [
        ("load the stored scan (`Store.load_scan`)", load),
        ("trace all 1,000 components (one Tracer)", trace),
        ("`show` text for one component", show),
        ("`origins --by country` groups", origins),
    ]


if __name__ == "__main__":
    main()
