"""Issue 8 figures: resolving a 500-component lockfile against a loopback index.

The index is tests/servers/pypi.py with 50 ms of latency per request, serving 500 projects
made from a real recorded document (tests/data/pypi/click.json, renamed and re-hashed).
Measured, whole CLI, side by side in one run:
  cold    fresh store: every component is fetched  -> limit 2 x ideal, where
          ideal = requests / concurrency x latency + start-up (start-up = the same scan
          with --no-resolve, measured in this run)
  warm    same store, all answers fresh: no request at all  -> limit 1.2 s
  offline same store, --offline                              -> limit 1.2 s
Usage: .venv/bin/python bench/resolve_bench.py [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402
from resolution_rounds import Rounds  # noqa: E402

from tests.servers.pypi import PyPIState, load_project, serve  # noqa: E402

COMPONENTS = 500
LATENCY = 0.05
CONCURRENCY = 16
AUDITOR = REPO / ".venv" / "bin" / "auditor"


def projects() -> list[dict]:
    """500 distinct projects in the real document's shape, one release each."""
    template = load_project("click")
    release = template["releases"]["8.5.1"]
    made = []
    for i in range(COMPONENTS):
        doc = copy.deepcopy(template)
        name = f"bench-pkg-{i:03d}"
        doc["info"]["name"] = name
        doc["info"]["version"] = "1.0.0"
        files = copy.deepcopy(release)
        for f in files:
            f["digests"]["sha256"] = hashlib.sha256(f"{name}/{f['filename']}".encode()).hexdigest()
        doc["releases"] = {"1.0.0": files}
        doc["urls"] = files
        made.append(doc)
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    state = PyPIState(latency=LATENCY)
    docs = projects()
    for doc in docs:
        state.add_project(doc)
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "requirements.txt"
        lock.write_text(
            "".join(
                f"{d['info']['name']}==1.0.0 --hash=sha256:{d['urls'][0]['digests']['sha256']}\n"
                for d in docs
            )
        )
        server = serve(state)
        base = next(server)
        runs = Rounds(AUDITOR, child_env({}), lambda: len(state.log))
        common = ["scan", str(lock), "--format", "json", "--pypi-url", base,
                  "--concurrency", str(CONCURRENCY)]  # fmt: skip
        # Untimed: compiles the bytecode once, as installing the tool does.
        runs.timed([*common, "--no-resolve", "--db", f"sqlite:///{tmp}/compile.db"], None)
        for round_ in range(opts.rounds):
            runs.round(common, f"sqlite:///{tmp}/r{round_}.db")
        next(server, None)
    ideal = runs.ideal("", CONCURRENCY, LATENCY)
    cold, warm, offline = runs.median("cold"), runs.median("warm"), runs.median("offline")
    verdicts = [
        ("cold <= 2x ideal", cold / ideal, cold <= 2 * ideal, f"ideal {ideal:.2f} s"),
        ("warm < 1.2 s", warm / 1.2, warm < 1.2, "no requests sent"),
        ("offline < 1.2 s", offline / 1.2, offline < 1.2, ""),
    ]
    sent = statistics.median(runs.requests[""])
    runs.report(
        f"{COMPONENTS} components, {LATENCY * 1000:.0f} ms latency, concurrency {CONCURRENCY},"
        f" {sent:.0f} requests cold, {opts.rounds} rounds (median)",
        verdicts,
        opts.markdown,
    )


if __name__ == "__main__":
    main()
