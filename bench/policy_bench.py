"""Benchmark for issue 13: the default rule pack over a 100,000-component scan, in-process.

    .venv/bin/python bench/policy_bench.py [--components N] [--rounds N]

Makes a synthetic Scan (70% PyPI, 20% npm, 5% Hub models with lineage roots, 5% Debian
packages; origins with publishers, declared or attested repositories, organisations,
countries, upload times; a few conflicts, restrictive licences and typosquat-like names)
and a previous scan of the same target with 1% of the publishers changed, then configures
every list the default pack reads (vetted_publishers, review_countries, a waiver) so every
rule does work. It measures `evaluate(scan, policy, previous, today)`:
- wall time and CPU time, median of N rounds (limit 5 s; on a shared machine the CPU
  time is the steadier of the two);
- peak traced memory of one evaluation (tracemalloc; a separate run, tracing slows it) and
  the process's max RSS after the rounds (limit 1 GiB).
Always exits 0; prints PASS/MISS per limit and the ratio to each limit.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import date
from pathlib import Path

from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Evidence,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
)
from auditor.policy.engine import evaluate, load_policy
from auditor.policy.settings import load_settings

TIME_LIMIT = 5.0
MEMORY_LIMIT = 1 << 30
TODAY = date(2026, 11, 28)
COUNTRIES = ("US", "DE", "FR", "GB", "CN", "JP", "IL", "CA", "KR", "IN")
SQUATS = ("reqeusts", "numpyy", "pandsa", "urlib3", "loadsh", "expres", "reactt")
LICENCES = ("mit", "apache-2.0", "bsd-3-clause", "llama3.1", "gemma", "cc-by-nc-4.0", None)


def make_scan(n: int, seed: int, changed: bool) -> Scan:
    """The synthetic scan; `changed` moves 1% of the publishers (the previous scan has not)."""
    rng = random.Random(seed)
    components: list[Component] = []
    origins: list[Origin] = []
    sha = "0123456789abcdef0123456789abcdef01234567"
    for i in range(n):
        roll = rng.random()
        if roll < 0.70:
            name = SQUATS[i % len(SQUATS)] if i % 997 == 0 else f"pkg-{i}"
            purl, kind, version = f"pkg:pypi/{name}@1.{i % 50}.0", ComponentKind.LIBRARY, "1.0"
        elif roll < 0.90:
            purl, kind, version = f"pkg:npm/lib-{i}@2.{i % 30}.1", ComponentKind.LIBRARY, "2.0"
        elif roll < 0.95:
            rev = sha if i % 4 else "main"
            purl, kind, version = (
                f"pkg:huggingface/org{i % 300}/model-{i}@{rev}",
                ComponentKind.MODEL,
                rev,
            )
        else:
            purl = f"pkg:deb/debian/libthing{i}@1.{i % 9}-1?arch=amd64&distro=debian-12"
            kind, version = ComponentKind.OS_PACKAGE, "1.0-1"
        licence = LICENCES[i % len(LICENCES)] if kind is ComponentKind.MODEL else "mit"
        components.append(
            Component(
                purl, kind, purl.rpartition("/")[2].partition("@")[0], version, license=licence
            )
        )
        publisher = f"pub{i % 5000}" + ("-new" if changed and i % 100 == 0 else "")
        country = COUNTRIES[i % len(COUNTRIES)]
        roots = ()
        if kind is ComponentKind.MODEL:
            roots = (
                Root(
                    f"pkg:huggingface/base{i % 40}/base@{sha}",
                    "finetune",
                    f"Lab {i % 40}",
                    COUNTRIES[i % 7],
                ),
            )
        status = OriginStatus.UNKNOWN if i % 53 == 0 else OriginStatus.RESOLVED
        evidence = (
            Evidence(
                "pypi",
                "upload_time",
                f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}T10:00:00Z",
                "pypi:/pypi/x/json",
                Strength.REGISTRY,
            ),
            Evidence(
                "pypi",
                "info.project_urls.Source",
                f"https://github.com/o/r{i}",
                "pypi:/pypi/x/json",
                Strength.DECLARED,
            ),
        )
        origins.append(
            Origin(
                purl,
                status,
                publisher=Claim(publisher, Strength.REGISTRY)
                if status is OriginStatus.RESOLVED
                else None,
                repository=Claim(
                    f"https://github.com/o/r{i}",
                    Strength.ATTESTED if i % 3 == 0 else Strength.DECLARED,
                ),
                organisation=Claim(f"Org {i % 2000}", Strength.INFERRED),
                country=Claim(country, Strength.INFERRED),
                roots=roots,
                conflicts=("metadata repo differs from attestation",) if i % 211 == 0 else (),
                evidence=evidence,
            )
        )
    return Scan(
        id="bench",
        started_at="2026-11-28T00:00:00Z",
        finished_at="2026-11-28T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="bench",
        targets=(),
        components=tuple(components),
        origins=tuple(origins),
    )


POLICY = """
vetted_publishers = ["pub1", "pub2", "Lab 1"]
review_countries = ["CN"]
young_release_days = 30
[[waivers]]
rule = "package.typosquat"
purl = "pkg:pypi/numpyy@*"
reason = "bench"
approver = "bench"
expires = 2027-01-01
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    scan = make_scan(args.components, 13, changed=True)
    previous = make_scan(args.components, 13, changed=False)
    made = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "auditor.toml"
        path.write_text(POLICY, encoding="utf-8")
        policy = load_policy(load_settings(path, None))
    evaluate(make_scan(1000, 1, True), policy, None, TODAY)  # warm the lazily loaded data
    times = []
    cpu = []
    result = scan
    for _ in range(args.rounds):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = evaluate(scan, policy, previous, TODAY)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    gc.collect()
    tracemalloc.start()
    evaluate(scan, policy, previous, TODAY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median = statistics.median(times)
    cpu_median = statistics.median(cpu)
    counts = Counter(f.rule for f in result.findings)
    load = os.getloadavg()
    n = len(scan.components)
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; python {sys.version.split()[0]}"
    )
    print(f"- load average at end (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print(f"- input: {n:,} components (+ a previous scan of the same size), made in {made:.2f} s")
    rules = f"{len(policy.rules)} data rules + {len(policy.overrides)} built-in overrides"
    print(f"- rules: {rules}; findings: {len(result.findings):,}")
    print("- findings by rule: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print()
    print("| measure | value | limit | ratio to limit | verdict |")
    print("|---|---|---|---|---|")

    def row(measure: str, value: float, shown: str, limit: float, limit_text: str) -> None:
        verdict = "PASS" if value < limit else "MISS"
        print(f"| {measure} | {shown} | {limit_text} | {value / limit:.2f} | {verdict} |")

    walls = ", ".join(f"{t:.2f}" for t in times)
    cpus = ", ".join(f"{c:.2f}" for c in cpu)
    row(
        f"evaluate, wall (median of {len(times)}: {walls} s)",
        median,
        f"{median:.2f} s",
        TIME_LIMIT,
        "< 5 s",
    )
    row(
        f"evaluate, CPU (median of {len(cpu)}: {cpus} s)",
        cpu_median,
        f"{cpu_median:.2f} s",
        TIME_LIMIT,
        "< 5 s",
    )
    mib = 2**20
    row(
        "evaluate, peak traced memory (tracemalloc)",
        peak,
        f"{peak / mib:.0f} MiB",
        MEMORY_LIMIT,
        "< 1 GiB",
    )
    row(
        "process max RSS (two scans + evaluations)",
        rss,
        f"{rss / mib:.0f} MiB",
        MEMORY_LIMIT,
        "< 1 GiB",
    )


if __name__ == "__main__":
    main()
