"""Issue 31: a 20,000-component SBOM scanned as a target, beside the peers that read SBOMs.

    PYTHONPATH=. .venv/bin/python bench/sbom_bench.py [--components 20000] [--rounds 3]

Generates `bench/work/sbom/big.cdx.json`: CycloneDX 1.6 JSON shaped like syft's and trivy's
output (bom-ref, type, name, version, purl, cpe, SHA-256 hash, licence, supplier, a tool
property; PyPI, npm and Debian packages in equal parts; each package's dependencies on a few
earlier ones). Then, in rotated order each round:

- auditor: `python -m auditor scan FILE --no-resolve --format json` (stored, the issue's
  command), and the same with `--no-store`
- trivy:   `trivy sbom FILE --scanners license --offline-scan --skip-db-update --format json`
- syft:    `syft convert FILE -o syft-json` (syft reading the SBOM back)

Wall time is perf_counter around Popen + os.wait4, peak RSS that child's ru_maxrss. The
limit (issue 31): auditor < 5 s and < 500 MB. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV = BENCH / ".venv"
LIMIT_SECONDS = 5.0
LIMIT_MB = 500


def make_document(count: int) -> dict[str, object]:
    """A CycloneDX 1.6 BOM of `count` packages in the shapes the real tools write."""
    components: list[dict[str, object]] = []
    dependencies: list[dict[str, object]] = []
    for i in range(count):
        kind = ("pypi", "npm", "deb")[i % 3]
        name, version = f"pkg-{i}", f"1.{i % 97}.{i}"
        purl = {
            "pypi": f"pkg:pypi/{name}@{version}",
            "npm": f"pkg:npm/{name}@{version}",
            "deb": f"pkg:deb/debian/{name}@{version}-1?arch=amd64&distro=debian-12",
        }[kind]
        ref = f"{purl}?package-id={hashlib.sha1(purl.encode()).hexdigest()[:16]}"
        components.append(
            {
                "bom-ref": ref,
                "type": "library",
                "supplier": {"name": f"Vendor {i % 50}"},
                "name": name,
                "version": version,
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(ref.encode()).hexdigest()}],
                "licenses": [{"license": {"id": ("MIT", "Apache-2.0", "BSD-3-Clause")[i % 3]}}],
                "cpe": f"cpe:2.3:a:vendor{i % 50}:{name}:{version}:*:*:*:*:*:*:*",
                "purl": purl,
                "properties": [{"name": "syft:package:foundBy", "value": f"{kind}-cataloger"}],
            }
        )
        earlier = [components[j]["bom-ref"] for j in range(max(0, i - 3), i)]
        dependencies.append({"ref": ref, "dependsOn": earlier})
    root = {"bom-ref": "root-app", "type": "application", "name": "big-app", "version": "1.0"}
    dependencies.append({"ref": "root-app", "dependsOn": [c["bom-ref"] for c in components[:50]]})
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.UUID(int=count)}",
        "version": 1,
        "metadata": {"timestamp": "2026-12-08T00:00:00Z", "component": root},
        "components": components,
        "dependencies": dependencies,
    }


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak MB, exit status) of one child."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.stderr is not None:
        child.stderr.close()
    return seconds, usage.ru_maxrss / 1024, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = BENCH / "work" / "sbom"
    work.mkdir(parents=True, exist_ok=True)
    target = work / "big.cdx.json"
    target.write_text(json.dumps(make_document(args.components), indent=1), encoding="utf-8")
    size = target.stat().st_size / 1e6
    env = {**os.environ, "PYTHONPATH": str(REPO), "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    cache = tempfile.mkdtemp(prefix="trivy-")
    env["TRIVY_CACHE_DIR"] = cache
    store = tempfile.mkdtemp(prefix="sbom-store-")
    scan = [sys.executable, "-m", "auditor", "scan", str(target), "--no-resolve"]
    scan += ["--format", "json"]
    tools: dict[str, list[str]] = {
        # The command: `--no-resolve`, the scan stored (a fresh SQLite store each run
        # would measure the migrations; one store, as a user's second scan writes to).
        "auditor": [*scan, "--db", f"sqlite:///{store}/scans.db"],
        "auditor --no-store": [*scan, "--no-store"],
    }
    if (VENV / "bin" / "trivy").exists():
        tools["trivy"] = [
            str(VENV / "bin" / "trivy"), "sbom", str(target), "--scanners", "license",
            "--offline-scan", "--skip-db-update", "--format", "json",
        ]  # fmt: skip
    if (VENV / "bin" / "syft").exists():
        tools["syft"] = [str(VENV / "bin" / "syft"), "convert", str(target), "-o", "syft-json"]
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
    names = list(tools)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            results[name].append(run(tools[name], env))
    load = os.getloadavg()[0]
    print(f"{args.components} components, {size:.1f} MB of JSON; {args.rounds} rounds; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| tool | median s | min s | peak RSS MB | exit |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        times = sorted(r[0] for r in rows)
        peak = max(r[1] for r in rows)
        codes = sorted({r[2] for r in rows})
        print(f"| {name} | {times[len(times) // 2]:.2f} | {times[0]:.2f} | {peak:.0f} | {codes} |")
    best = min(r[0] for r in results["auditor"])
    peak = max(r[1] for r in results["auditor"])
    verdict = "PASS" if best < LIMIT_SECONDS and peak < LIMIT_MB else "MISS"
    print(f"\n{verdict}: auditor best {best:.2f} s (limit {LIMIT_SECONDS} s), "
          f"peak {peak:.0f} MB (limit {LIMIT_MB} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
