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
Child processes run with bytecode caching on (bench_tools.child_env), as an installed tool.
Usage: .venv/bin/python bench/npm_resolve_bench.py [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_tools import child_env  # noqa: E402
from resolution_rounds import Rounds  # noqa: E402

from tests.servers.jsonapi import JsonApiState, load, serve  # noqa: E402
from tests.sigstore_local import PROVENANCE_V1, LocalSigstore  # noqa: E402

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


def with_provenance(docs: dict[str, dict], sigstore: LocalSigstore) -> dict[str, object]:
    """The same packuments, each with npm provenance (`dist.attestations`) and its
    attestations answer: a SLSA bundle a local Sigstore made for that tarball's sha512."""
    routes: dict[str, object] = {}
    for path, doc in docs.items():
        doc = copy.deepcopy(doc)
        name, dist = doc["name"], doc["versions"]["1.1.1"]["dist"]
        url = f"/-/npm/v1/attestations/{name}@1.1.1"
        dist["attestations"] = {
            "url": "https://registry.npm.invalid" + url,
            "provenance": {"predicateType": PROVENANCE_V1},
        }
        sha512 = base64.b64decode(dist["integrity"].partition("-")[2]).hex()
        bundle = sigstore.npm_bundle(f"pkg:npm/{name}@1.1.1", sha512)
        routes[path] = doc
        routes[url] = {"attestations": [{"predicateType": PROVENANCE_V1, "bundle": bundle}]}
    return routes


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    docs = packuments()
    state = JsonApiState(routes=dict(docs), latency=LATENCY)
    env = {k: v for k, v in child_env({}).items() if k not in ("GITHUB_API_URL", "GITHUB_TOKEN")}
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "package-lock.json"
        lock.write_text(lockfile(docs))
        server = serve(state)
        base = next(server)
        runs = Rounds(AUDITOR, env, lambda: len(state.log))
        common = ["scan", str(lock), "--format", "json", "--npm-registry", base,
                  "--concurrency", str(CONCURRENCY)]  # fmt: skip
        # Untimed: compiles the bytecode once, as installing the tool does.
        runs.timed([*common, "--no-resolve", "--db", f"sqlite:///{tmp}/compile.db"], None)
        for round_ in range(opts.rounds):
            runs.round(common, f"sqlite:///{tmp}/r{round_}.db")
        next(server, None)
        # Every package with verified npm provenance (1,000 Sigstore bundles): the same
        # scans, now also verifying a bundle per package.
        sigstore = LocalSigstore()
        trust = sigstore.write_trust_config(Path(tmp) / "trust.json")
        state = JsonApiState(routes=with_provenance(docs, sigstore), latency=LATENCY)
        server = serve(state)
        base = next(server)
        attested = [*common[:5], base, *common[6:], "--signature-trust-config", str(trust)]
        for round_ in range(opts.rounds):
            runs.round(attested, f"sqlite:///{tmp}/p{round_}.db", "provenance ", full=False)
        next(server, None)
    ideal = runs.ideal("", CONCURRENCY, LATENCY)
    attested_ideal = runs.ideal("provenance ", CONCURRENCY, LATENCY)
    cold, warm = runs.median("cold"), runs.median("warm")
    p_cold, p_warm = runs.median("provenance cold"), runs.median("provenance warm")
    verdicts = [
        ("cold <= 2x ideal", cold / ideal, cold <= 2 * ideal, f"ideal {ideal:.2f} s"),
        ("warm < 1.2 s", warm / 1.2, warm < 1.2, "no requests sent"),
        ("cold <= 2x ideal, all with provenance", p_cold / attested_ideal,
         p_cold <= 2 * attested_ideal, f"ideal {attested_ideal:.2f} s"),
        ("warm < 1.2 s, all with provenance", p_warm / 1.2, p_warm < 1.2,
         "1,000 bundles verified"),
    ]  # fmt: skip
    sent = statistics.median(runs.requests[""])
    runs.report(
        f"{COMPONENTS} npm components, {LATENCY * 1000:.0f} ms latency, concurrency"
        f" {CONCURRENCY}, {sent:.0f} requests cold, {opts.rounds} rounds (median)",
        verdicts,
        opts.markdown,
    )


if __name__ == "__main__":
    main()
