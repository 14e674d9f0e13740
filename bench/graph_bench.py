"""Benchmark for issue 12: the provenance graph at 100,000 components and 200,000 edges.

    .venv/bin/python bench/graph_bench.py [--components N] [--edges N]

Makes a synthetic Scan (20 targets, 1,000 project roots, 90% libraries with a skewed
dependency DAG plus small npm-style cycles, 10% models with base-model lineage and merges,
origins with publishers, repositories, organisations and countries), stores it in a
throwaway SQLite file, then measures:
- building the graph in-process: median wall time of 3 builds; peak traced memory of one
  build (tracemalloc, a separate run because tracing slows it) and the process's max RSS;
- `why` in-process on 200 components picked at random (seed 12): median, p95 and max;
- `auditor origins SCAN_ID --by country` as a whole CLI run (3 runs, median).
Limits: build < 3 s and < 1 GB; why < 100 ms (judged on the max); origins CLI < 5 s.
Always exits 0; prints PASS/MISS per limit.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench_tools import child_env

from auditor.graph import ProvenanceGraph
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.store import open_store

REPO = Path(__file__).resolve().parent.parent
AUDITOR = REPO / ".venv" / "bin" / "auditor"
T = TypeVar("T")
COUNTRIES = ("US", "CN", "DE", "FR", "GB", "JP", "KR", "IN", "CA", "NL", "SE", "CH", "IL")


def synthetic_scan(n_components: int, n_edges: int, seed: int = 12) -> Scan:
    """A Scan of the stated size; deterministic for a seed."""
    rnd = random.Random(seed)
    targets = tuple(
        Target(
            f"svc-{i:02}/", TargetKind.DIRECTORY, f"directory:/srv/svc-{i:02}", f"sha256:{i:064x}"
        )
        for i in range(20)
    )
    n_models = n_components // 10
    n_libs = n_components - n_models
    n_bases = max(n_models // 10, 1)
    libs = [
        f"pkg:pypi/lib-{i}@1.{i % 7}.0" if i % 5 else f"pkg:npm/%40scope/lib-{i}@2.0.{i % 9}"
        for i in range(n_libs)
    ]
    models = [f"pkg:huggingface/org-{i % 300}/model-{i}@{i:040x}" for i in range(n_models)]
    edges: list[Dependency] = []
    direct: set[str] = set()
    roots = [f"pkg:pypi/project-{i}@0.1.0" for i in range(1000)]
    for root in roots:  # project roots: 20 direct dependencies each
        for j in rnd.sample(range(n_libs), 20):
            edges.append(Dependency(root, libs[j]))
            direct.add(libs[j])
    for i in range(n_bases, n_models):  # lineage: fine-tunes of bases or of fine-tunes
        parents = {rnd.randrange(0, i)} | ({rnd.randrange(0, n_bases)} if i % 20 == 0 else set())
        edges += [Dependency(models[i], models[p], DependencyKind.DERIVED_FROM) for p in parents]
    for i in range(0, 200, 2):  # npm-style two-node cycles
        edges += [Dependency(libs[i], libs[i + 1]), Dependency(libs[i + 1], libs[i])]
    popular = n_libs - 500
    unique = dict.fromkeys(edges)
    while len(unique) < n_edges:
        i = rnd.randrange(0, n_libs - 1)
        j = rnd.randrange(popular, n_libs) if rnd.random() < 0.3 else rnd.randrange(i + 1, n_libs)
        if j > i:
            unique[Dependency(libs[i], libs[j], scope="dev" if j % 17 == 0 else None)] = None
    edges = list(unique)[:n_edges]
    components: list[Component] = []
    origins: list[Origin] = []
    for idx, purl in enumerate(libs + models):
        is_model = idx >= n_libs
        where = (targets[idx % 20].ref,) + ((targets[(idx + 7) % 20].ref,) if idx % 10 == 0 else ())
        locations = tuple(Location(t, "uv.lock", line=idx % 5000 + 1) for t in where)
        components.append(
            Component(
                purl,
                ComponentKind.MODEL if is_model else ComponentKind.LIBRARY,
                purl.rpartition("/")[2].partition("@")[0],
                purl.rpartition("@")[2],
                locations=locations,
                direct=purl in direct or (is_model and idx % 3 == 0),
                found_by="synthetic",
            )
        )
        origins.append(_origin(purl, idx, is_model, models[:n_bases]))
    return Scan(
        id=f"bench-graph-{seed}-{n_components}-{n_edges}",
        started_at="2026-11-28T00:00:00Z",
        finished_at="2026-11-28T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="bench",
        targets=targets,
        components=tuple(components),
        origins=tuple(origins),
        dependencies=tuple(edges),
    )


def _origin(purl: str, idx: int, is_model: bool, bases: list[str]) -> Origin:
    if idx % 10 >= 7:  # 30% nothing known
        return Origin(purl, OriginStatus.UNKNOWN, reason="synthetic")
    org = f"Org {idx % 300}"
    repo = f"https://github.com/org-{idx % 300}/{purl.rpartition('/')[2].partition('@')[0]}"
    strength = Strength.ATTESTED if idx % 4 == 0 else Strength.DECLARED
    evidence = (
        Evidence(
            "registry",
            "ownership.organization",
            f"org-{idx % 5000}",
            f"r:/p/{idx}",
            Strength.REGISTRY,
        ),
        Evidence("metadata", "Project-URL.Source", repo, "METADATA", strength),
    )
    roots = ()
    if is_model:
        base = bases[idx % len(bases)]
        roots = (Root(base, "finetune", f"Org {idx % 7}", COUNTRIES[idx % 7]),)
    return Origin(
        purl,
        OriginStatus.RESOLVED,
        publisher=Claim(f"org-{idx % 5000}", Strength.REGISTRY),
        repository=Claim(repo, strength),
        organisation=Claim(org, Strength.INFERRED),
        country=Claim(COUNTRIES[idx % 300 % len(COUNTRIES)], Strength.INFERRED),
        roots=roots,
        evidence=evidence,
    )


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def row(measure: str, value: str, limit: str = "", ok: bool | None = None) -> str:
    """One Markdown table row."""
    return f"| {measure} | {value} | {limit} | {'' if ok is None else verdict(ok)} |"


def rss_child(components: int, edges: int) -> int:
    """In a fresh process: RSS holding just the scan, then scan + graph; prints both."""
    child = synthetic_scan(components, edges)
    gc.collect()
    before = _rss_now()  # current, not max: making the scan peaks higher than holding it
    graph = ProvenanceGraph.from_scan(child)
    print(before, _rss_now(), len(graph))
    return 0


def _rss_now() -> int:
    """Resident set size now, in bytes (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def main() -> int:
    """Run everything and print the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=200_000)
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        return rss_child(args.components, args.edges)
    size = [f"--components={args.components}", f"--edges={args.edges}"]

    made, scan = timed(lambda: synthetic_scan(args.components, args.edges))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/graph.db"
        with open_store(url) as store:
            saved, _ = timed(lambda: store.save_scan(scan))
            loaded_s, loaded = timed(lambda: store.load_scan(scan.id))
        assert loaded == scan
        del loaded
        import networkx  # noqa: F401 - import once, outside the timed builds

        cpu0 = time.process_time()
        builds = [timed(lambda: ProvenanceGraph.from_scan(scan)) for _ in range(3)]
        build_cpu = (time.process_time() - cpu0) / 3
        graph = builds[-1][1]
        tracemalloc.start()
        traced = ProvenanceGraph.from_scan(scan)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del traced
        child = subprocess.run(
            [sys.executable, __file__, "--rss-child", *size],
            capture_output=True,
            text=True,
            check=True,
        )
        rss_scan, rss, _ = (int(x) for x in child.stdout.split())
        sample = random.Random(12).sample([c.purl for c in scan.components], 200)
        whys = sorted(timed(lambda p=p: graph.why(p))[0] for p in sample)  # type: ignore[misc]
        clis = []
        env = child_env({"AUDITOR_DB": url})
        for _ in range(3):
            start = time.perf_counter()
            ran = subprocess.run(
                [str(AUDITOR), "origins", scan.id, "--by", "country"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            clis.append(time.perf_counter() - start)
            if ran.returncode != 0:
                print(ran.stderr, file=sys.stderr)
                return 0
        first_row = ran.stdout.splitlines()[1]

    build_s = statistics.median(t for t, _ in builds)
    p95 = whys[int(len(whys) * 0.95) - 1]
    cli_s = statistics.median(clis)
    mib = 2**20
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs;"
        f" python {platform.python_version()}",
        f"- load average at end (1/5/15 min): {load}",
        f"- input: {len(scan.components):,} components, {len(scan.dependencies):,} dependency"
        f" edges, {len(scan.targets)} targets; graph: {len(graph):,} nodes,"
        f" {graph.edge_count():,} edges",
        f"- synthetic scan made in {made:.2f} s; stored (SQLite) in {saved:.2f} s;"
        f" loaded (`Store.load_scan`) in {loaded_s:.2f} s",
        f"- origins CLI first row: `{first_row.strip()}`",
        "",
        "| measure | value | limit | verdict |",
        "|---|---|---|---|",
        row(
            f"build graph, in-process (median of 3: {', '.join(f'{t:.2f}' for t, _ in builds)} s)",
            f"{build_s:.2f} s",
            "< 3 s",
            build_s < 3,
        ),
        row("build graph, CPU time per build (mean of the 3)", f"{build_cpu:.2f} s"),
        row(
            "build graph, peak traced memory (tracemalloc)",
            f"{peak / mib:.0f} MiB",
            "< 1 GiB",
            peak < 2**30,
        ),
        row(
            f"fresh process RSS: scan alone {rss_scan / mib:.0f} MiB, scan + graph"
            f" {rss / mib:.0f} MiB; the graph's share",
            f"{(rss - rss_scan) / mib:.0f} MiB",
            "< 1 GiB",
            rss - rss_scan < 2**30,
        ),
        row(
            "why, 200 random components: median / p95",
            f"{statistics.median(whys) * 1000:.1f} / {p95 * 1000:.1f} ms",
        ),
        row(
            "why, 200 random components: max",
            f"{whys[-1] * 1000:.1f} ms",
            "< 100 ms",
            whys[-1] < 0.1,
        ),
        row(
            "`auditor origins ID --by country`, whole CLI"
            f" (median of 3: {', '.join(f'{t:.2f}' for t in clis)} s)",
            f"{cli_s:.2f} s",
            "< 5 s",
            cli_s < 5,
        ),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
