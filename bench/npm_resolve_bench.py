"""Issue 11 figures: resolving a 1,000-package package-lock.json against a loopback npm registry.

The registry is tests/servers/jsonapi.py with 50 ms of latency per request, serving 1,000
packuments made from a real recorded one (tests/data/npm/abbrev.json: renamed, with a
fresh sha512 per package so the lockfile's integrity matches). Measured, whole CLI, side by
side in one run:
  cold    fresh store: every packument is fetched  -> limit 2 x ideal, where
          ideal = requests / concurrency x latency + start-up (start-up = the same scan
          with --no-resolve, measured in this run)
  warm    same store, all answers fresh: no request at all  -> limit 1.2 s
  offline same store, --offline                              -> reported (no limit named)
GitHub lookups are not configured (GITHUB_API_URL unset), as on a machine without it.
Usage: .venv/bin/python bench/npm_resolve_bench.py [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers.jsonapi import JsonApiState, load, serve  # noqa: E402

COMPONENTS = 1000
LATENCY = 0.05
CONCURRENCY = 16
AUDITOR = REPO / ".venv" / "bin" / "auditor"


def packuments() -> dict[str, dict]:
    """1,000 distinct packuments in the recorded document's shape, one version each."""
    template = load("npm/abbrev.json")
    made = {}
    for i in range(COMPONENTS):
        doc = copy.deepcopy(template)
        name = f"bench-pkg-{i:04d}"
        doc["_id"] = doc["name"] = name
        manifest = doc["versions"]["1.1.1"]
        manifest["name"], manifest["_id"] = name, f"{name}@1.1.1"
        digest = hashlib.sha512(name.encode()).digest()
        manifest["dist"]["integrity"] = "sha512-" + base64.b64encode(digest).decode()
        made[f"/{name}"] = doc
    return made


def lockfile(docs: dict[str, dict]) -> str:
    packages: dict[str, dict] = {
        "": {
            "name": "bench",
            "version": "1.0.0",
            "dependencies": {d["name"]: "1.1.1" for d in docs.values()},
        }
    }
    for doc in docs.values():
        packages[f"node_modules/{doc['name']}"] = {
            "version": "1.1.1",
            "resolved": f"https://registry.npm.invalid/{doc['name']}/-/{doc['name']}-1.1.1.tgz",
            "integrity": doc["versions"]["1.1.1"]["dist"]["integrity"],
        }
    return json.dumps(
        {
            "name": "bench",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": packages,
        }
    )


CPU: dict[str, list[float]] = {}
"""CPU seconds (user + system) per run kind: on a loaded, shared machine wall time stretches
with the load while CPU time mostly does not, so both are printed."""


def timed(args: list[str], env: dict[str, str], kind: str = "") -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(AUDITOR), *args], check=True, capture_output=True, env=env)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(kind, []).append(used)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    docs = packuments()
    state = JsonApiState(routes=dict(docs), latency=LATENCY)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_API_URL", "GITHUB_TOKEN")}
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "package-lock.json"
        lock.write_text(lockfile(docs))
        server = serve(state)
        base = next(server)
        common = ["scan", str(lock), "--format", "json", "--npm-registry", base,
                  "--concurrency", str(CONCURRENCY)]  # fmt: skip
        rows: dict[str, list[float]] = {"startup": [], "cold": [], "warm": [], "offline": []}
        requests_cold = []
        for round_ in range(opts.rounds):
            db = f"sqlite:///{tmp}/r{round_}.db"
            rows["startup"].append(timed([*common, "--no-resolve", "--db", db], env, "startup"))
            before = len(state.log)
            rows["cold"].append(timed([*common, "--db", db], env, "cold"))
            requests_cold.append(len(state.log) - before)
            before = len(state.log)
            rows["warm"].append(timed([*common, "--db", db], env, "warm"))
            assert len(state.log) == before, "a warm scan sent requests"
            rows["offline"].append(timed([*common, "--offline", "--db", db], env, "offline"))
        next(server, None)
    med = {k: statistics.median(v) for k, v in rows.items()}
    sent = statistics.median(requests_cold)
    ideal = sent / CONCURRENCY * LATENCY + med["startup"]
    verdicts = [
        ("cold <= 2x ideal", med["cold"] / ideal, med["cold"] <= 2 * ideal, f"ideal {ideal:.2f} s"),
        ("warm < 1.2 s", med["warm"] / 1.2, med["warm"] < 1.2, "no requests sent"),
    ]
    print(f"{COMPONENTS} npm components, {LATENCY * 1000:.0f} ms latency, concurrency"
          f" {CONCURRENCY}, {sent:.0f} requests cold, {opts.rounds} rounds (median)")  # fmt: skip
    bar = "|" if opts.markdown else " "
    print(f"{bar} run {bar} median s {bar} min s {bar} median CPU s {bar}")
    if opts.markdown:
        print("|---|---|---|---|")
    for name, values in rows.items():
        cpu = statistics.median(CPU[name])
        print(f"{bar} {name} {bar} {med[name]:.3f} {bar} {min(values):.3f} {bar} {cpu:.3f} {bar}")
    print()
    for label, ratio, ok, note in verdicts:
        verdict = "PASS" if ok else "MISS"
        print(f"{bar} {label} {bar} ratio {ratio:.2f} {bar} {verdict} {bar} {note}")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
