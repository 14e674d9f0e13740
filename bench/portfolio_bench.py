"""Benchmark for issue 35: portfolio questions over 1,000 targets x 1,000 components on
PostgreSQL, each answered by the whole CLI in < 2 s.

    .venv/bin/python bench/portfolio_bench.py [--targets N] [--components N] [--keep-db URL]

Makes a throwaway PostgreSQL database (server: AUDITOR_TEST_PG_URL, default
postgres@127.0.0.1:5432), stores one scan per target through Store.save_scan (900 PyPI
packages drawn from a pool of 4,000 names, organisations and countries by name, a fifth
unknown; 100 Hub models in 10 families with lineage roots in CN, US, FR or unknown; 3
findings), started over the last 120 days, and indexes each scan's roll-up as a worker
does (auditor.portfolio.index). Then times each question (median of 3 whole-CLI runs).
`--keep-db URL` stores into (or reuses, when it already holds scans) that database and
keeps it. Prints Markdown; always exits 0; PASS/MISS per limit.
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_tools import child_env, postgres_database

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Finding,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)

REPO = Path(__file__).resolve().parent.parent
AUDITOR = (sys.executable, "-m", "auditor")
LIMIT = 2.0
ORGS = (
    ("Python Software Foundation", "US"),
    ("Alibaba Group Holding Limited", "CN"),
    ("SAP SE", "DE"),
    ("Mistral AI", "FR"),
    ("Meta Platforms, Inc.", "US"),
    (None, None),
)
LABS = (
    ("Qwen", "Alibaba Group Holding Limited", "CN"),
    ("meta-llama", "Meta Platforms, Inc.", "US"),
    ("mistralai", "Mistral AI", "FR"),
    ("unknown-lab", None, None),
)
NOW = datetime.now(UTC)


def _claim(value: str | None) -> Claim | None:
    return None if value is None else Claim(value, Strength.REGISTRY)


def synthetic(t: int, n: int) -> Scan:
    """Target number `t`'s scan: n - 100 packages and 100 models (10 families)."""
    ref = f"/srv/fleet/service-{t:04d}"
    comps: list[Component] = []
    origins: list[Origin] = []
    deps: list[Dependency] = []
    for i in range(n - 100):
        name = f"lib{(t * 37 + i * 13) % 4000}"
        version = f"1.{(t + i) % 7}"
        purl = f"pkg:pypi/{name}@{version}"
        org, country = ORGS[int(name[3:]) % len(ORGS)]
        comps.append(Component(purl, ComponentKind.LIBRARY, name, version,
                               locations=(Location(ref, "uv.lock", i + 1),),
                               direct=i < 30, found_by="uv-lock"))  # fmt: skip
        origins.append(Origin(purl, OriginStatus.RESOLVED, publisher=_claim(name),
                              organisation=_claim(org), country=_claim(country)))  # fmt: skip
    for f in range(10):
        namespace, org, country = LABS[(t + f) % len(LABS)]
        base = f"pkg:huggingface/{namespace}/base-{(t + f) % 40}"
        root = Root(base, "finetune", org, country, Strength.REGISTRY if org else None)
        instruct = f"{namespace}/base-{(t + f) % 40}-Instruct"
        ipurl = f"pkg:huggingface/{instruct}@{f:040x}"
        comps.append(_model(ipurl, instruct, ref))
        origins.append(Origin(ipurl, OriginStatus.RESOLVED, publisher=_claim(namespace),
                              organisation=_claim(org), country=_claim(country),
                              roots=(root,)))  # fmt: skip
        deps.append(Dependency(ipurl, base, DependencyKind.DERIVED_FROM, "finetune"))
        for k in range(9):
            quant = f"repack{k}/base-{(t + f) % 40}-Instruct-GGUF"
            qpurl = f"pkg:huggingface/{quant}@{k:040x}"
            comps.append(_model(qpurl, quant, ref))
            origins.append(Origin(qpurl, OriginStatus.RESOLVED, publisher=_claim(f"repack{k}"),
                                  roots=(Root(base, "quantized", org, country,
                                              Strength.REGISTRY if org else None),)))  # fmt: skip
            deps.append(Dependency(qpurl, f"pkg:huggingface/{instruct}",
                                   DependencyKind.DERIVED_FROM, "quantized"))  # fmt: skip
    deps.append(Dependency(f"pkg:huggingface/{instruct}", base, DependencyKind.DERIVED_FROM,
                           "finetune"))  # fmt: skip
    started = (NOW - timedelta(days=120) * (1 - t / 1000)).isoformat()
    findings = tuple(
        Finding(rule, Severity.MEDIUM, Action.REPORT, comps[(t + j * 97) % len(comps)].purl,
                f"finding {j}")
        for j, rule in enumerate(("origin.unknown", "licence.restrictive", "origin.changed"))
    )  # fmt: skip
    return Scan(
        id=f"bench-{t:04d}-{secrets.token_hex(4)}",
        started_at=started,
        finished_at=started,
        status=ScanStatus.COMPLETE,
        tool_version="0.1.0",
        targets=(Target(ref, TargetKind.DIRECTORY, f"directory:{ref}", "sha256:00"),),
        components=tuple(comps),
        origins=tuple(origins),
        dependencies=tuple(dict.fromkeys(deps)),
        findings=findings,
    )


def _model(purl: str, repo_id: str, ref: str) -> Component:
    return Component(purl, ComponentKind.MODEL, repo_id, purl.rpartition("@")[2],
                     locations=(Location(ref, f"hf-cache/models--{repo_id.replace('/', '--')}"),),
                     found_by="hf-cache")  # fmt: skip


@contextmanager
def database(keep: str | None) -> Iterator[str | None]:
    """`keep`, or a throwaway database dropped afterwards (None when unreachable)."""
    if keep is not None:
        yield keep
        return
    with postgres_database() as url:
        yield url


def fill(url: str, targets: int, components: int) -> str:
    """Store and index the scans (unless the database holds them already); what it took."""
    from auditor.portfolio.db import StoreAccess
    from auditor.portfolio.index import rollup_rows, write_rollup

    with StoreAccess.open(url) as access:
        if access.store.list_scans(limit=1):
            return "reused (--keep-db)"
        start = time.perf_counter()
        for t in range(targets):
            scan = synthetic(t, components)
            access.store.save_scan(scan)
            with access.begin() as conn:
                write_rollup(conn, rollup_rows(scan), scan.id)
            if t % 100 == 99:
                print(f"  {t + 1} scans stored", file=sys.stderr)
        made = time.perf_counter() - start
        with access.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("ANALYZE"))
    return f"{made:.0f} s ({targets / made:.1f} scans/s)"


def cli(url: str, *args: str) -> tuple[float, str]:
    """Median wall time of 3 whole-CLI runs (after one untimed), and a line of the answer."""
    times = []
    out = ""
    for round_ in range(4):
        start = time.perf_counter()
        ran = subprocess.run(
            [*AUDITOR, *args],
            env=child_env({"AUDITOR_DB": url, "PYTHONPATH": str(REPO)}),
            capture_output=True,
            text=True,
            check=True,
        )
        if round_:
            times.append(time.perf_counter() - start)
        lines = [line for line in ran.stdout.splitlines() if line.strip()]
        out = lines[0] if lines else ""
    return statistics.median(times), out


QUESTIONS = (
    ("portfolio", "origins", "--by", "country"),
    ("portfolio", "origins", "--by", "organisation"),
    ("portfolio", "origins", "--by", "lineage-root-organisation"),
    ("portfolio", "origins", "--by", "organisation", "--ultimate"),
    ("portfolio", "origins", "--by", "country", "--as-of", f"{NOW - timedelta(days=60):%Y-%m-%d}"),
    ("portfolio", "where", "pkg:huggingface/Qwen/*"),
    ("portfolio", "where", "pkg:pypi/lib1234"),
    ("portfolio", "where", "lib42"),
    ("portfolio", "findings", "--rule", "licence.restrictive"),
    ("portfolio", "trend", "--by", "country", "--since", "90d"),
    ("portfolio", "report", "-o", os.path.join(tempfile.gettempdir(), "portfolio-bench.html")),
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--keep-db", metavar="URL")
    args = parser.parse_args()
    with database(args.keep_db) as url:
        if url is None:
            print("PostgreSQL unreachable: nothing measured")
            return 0
        made = fill(url, args.targets, args.components)
        rows = []
        for question in QUESTIONS:
            took, first = cli(url, *question)
            verdict = "PASS" if took < LIMIT else "MISS"
            shown = " ".join(q if " " not in q else repr(q) for q in question)
            rows.append(f"| `auditor {shown}` | {took:.2f} s | < {LIMIT:.0f} s | {verdict} | "
                        f"{first[:60]} |")  # fmt: skip
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; python "
          f"{platform.python_version()}")  # fmt: skip
    print(f"- load average at end (1/5/15 min): {load}")
    print(f"- data: {args.targets} targets x {args.components} components, PostgreSQL; "
          f"stored and indexed: {made}")  # fmt: skip
    print()
    print("| question | median of 3 | limit | verdict | answer's first line |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
