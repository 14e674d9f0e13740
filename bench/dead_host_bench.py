"""Issue 36: what a refusing enrichment host costs a scan.

78 components (issue 8's loopback index, tests/servers/pypi.py, serving real-shaped project
documents under generated names; every one declares a GitHub repository) are resolved cold,
whole CLI, on a fresh store per run, twice per round in rotated order:

  unset     GITHUB_API_URL unset: GitHub lookups are skipped
  refused   GITHUB_API_URL=http://127.0.0.1:9 (nothing listens): every lookup is refused

Limit: refused - unset <= 0.5 s (medians). `--auditor PATH` (repeatable) compares builds.
Usage: python bench/dead_host_bench.py [--rounds 5] [--auditor PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402
from resolve_bench import projects  # noqa: E402

from tests.servers.pypi import PyPIState, serve  # noqa: E402

COMPONENTS = 78
LIMIT = 0.5
AUDITOR = REPO / ".venv" / "bin" / "auditor"
REFUSING = "http://127.0.0.1:9"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--auditor", type=Path, action="append")
    opts = parser.parse_args()
    auditors = opts.auditor or [AUDITOR]
    state = PyPIState()
    for doc in projects()[:COMPONENTS]:
        doc["info"]["project_urls"] = {"Source": f"https://github.com/bench/{doc['info']['name']}"}
        state.add_project(doc)
    server = serve(state)
    base = next(server)
    folder = Path(tempfile.mkdtemp(prefix="dead-host-"))
    pins = [f"{doc['info']['name']}==1.0.0" for doc in projects()[:COMPONENTS]]
    (folder / "requirements.txt").write_text("\n".join(pins) + "\n")
    plain = {k: v for k, v in child_env({}).items() if k != "GITHUB_API_URL"}
    variants = {"unset": plain, "refused": {**plain, "GITHUB_API_URL": REFUSING}}
    times: dict[tuple[str, str], list[float]] = {}
    load = os.getloadavg()
    order = list(variants)
    for _ in range(opts.rounds):
        for auditor in auditors:
            for name in order:
                with tempfile.TemporaryDirectory() as tmp:
                    argv = [str(auditor), "scan", str(folder), "--pypi-url", base, "--format",
                            "json", "--db", f"sqlite:///{tmp}/s.db"]  # fmt: skip
                    started = time.perf_counter()
                    subprocess.run(argv, env=variants[name], capture_output=True, check=False)
                    times.setdefault((str(auditor), name), []).append(time.perf_counter() - started)
        order.reverse()
    next(server, None)
    end = os.getloadavg()
    print(
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start"
        f" {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, at end"
        f" {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}; {COMPONENTS} components,"
        f" {opts.rounds} rounds, medians\n"
    )
    print("| build | GitHub endpoint | median s | min s |")
    print("|---|---|---|---|")
    for (auditor, name), values in times.items():
        print(f"| {auditor} | {name} | {statistics.median(values):.2f} | {min(values):.2f} |")
    print("\n| build | refused - unset (medians) | verdict |")
    print("|---|---|---|")
    for auditor in auditors:
        extra = statistics.median(times[(str(auditor), "refused")]) - statistics.median(
            times[(str(auditor), "unset")]
        )
        verdict = "PASS" if extra <= LIMIT else "MISS"
        print(f"| {auditor} | {extra:+.2f} s | {verdict} (<= {LIMIT} s) |")


if __name__ == "__main__":
    main()
