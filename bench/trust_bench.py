"""What the trust boundaries cost a scan (issue 28): `redact_scan` (run on every scan
before it is rendered or stored) and `terminal_safe` (run by the table and the text views),
on synthetic scans shaped like a resolved npm lockfile: each component with a location, an
integrity hash, a resolved URL and an origin with a publisher, a repository and evidence.

    PYTHONPATH=$PWD .venv/bin/python bench/trust_bench.py [--sizes 1000,20000] [-n 5]

CPU time (process_time) per call, median of n after a warm-up, beside the time the same
scan takes to render as JSON (the cheapest output every scan pays) for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from auditor import model as m
from auditor.escape import terminal_safe
from auditor.redaction import redact_scan
from auditor.render import renderer


def synthetic(n: int) -> m.Scan:
    components = tuple(
        m.Component(
            f"pkg:npm/pkg{i}@1.{i}.0", m.ComponentKind.LIBRARY, f"pkg{i}", f"1.{i}.0",
            hashes=(f"sha512-{i:086d}==",), locations=(m.Location("t", "package-lock.json", i),),
            evidence=(m.Evidence("package-lock", "resolved",
                               f"https://files.invalid/pkg{i}/-/pkg{i}-1.{i}.0.tgz",
                               "package-lock.json", m.Strength.DECLARED),),
        )
        for i in range(n)
    )  # fmt: skip
    origins = tuple(
        m.Origin(
            c.purl, m.OriginStatus.RESOLVED,
            publisher=m.Claim(f"user{i % 500}", m.Strength.REGISTRY),
            repository=m.Claim(f"https://github.com/o{i % 900}/r{i}", m.Strength.DECLARED),
            evidence=(m.Evidence("npm", "maintainers", f"user{i % 500} <u{i}@mail.invalid>",
                               f"npm:/pkg{i}", m.Strength.REGISTRY),),
        )
        for i, c in enumerate(components)
    )  # fmt: skip
    return m.Scan("bench", "t0", "t1", m.ScanStatus.COMPLETE, "0", (), components, origins)


def cpu(call: Callable[[], object], rounds: int) -> float:
    call()  # warm-up (regex compilation, caches)
    times = []
    for _ in range(rounds):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| components | redact_scan ms | terminal_safe ms | JSON render ms | redact / JSON |")
    print("|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        scan = synthetic(n)
        redact = cpu(lambda scan=scan: redact_scan(scan), args.n)
        safe = cpu(lambda scan=scan: terminal_safe(scan), args.n)
        json_ms = cpu(lambda scan=scan: renderer("json").render(scan), args.n)
        print(f"| {n} | {redact * 1000:.0f} | {safe * 1000:.0f} | {json_ms * 1000:.0f} "
              f"| {redact / json_ms:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
