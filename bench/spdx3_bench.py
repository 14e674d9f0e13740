"""Benchmark for issue 31 (SPDX 3.0.1 output): `--format spdx3` render time and size on a
1,000-component scan, beside the SBOM formats we already write (`spdx` 2.3, `cyclonedx`
1.6) on the same scan in the same run, and the time to validate the document against the
official 3.0.1 JSON schema (jsonschema-rs) and SHACL shapes (pyshacl, the model mixed into
the data as spdx3-validate's `ont_graph` does), as tests/spdx3_check.py validates it.

    PYTHONPATH=. python bench/spdx3_bench.py

Scans: the 1,000-model scan of tests/big_lineage.py (100 families: base → instruct → nine
quantisations, every edge and root as the Hub resolver records them) and tests/data scanned
with `--no-resolve` (2,000-odd libraries, OS packages, models). Renders: median of 5 after
one untimed run, in process. Validation: once. Always exits 0; prints a Markdown section for
bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.config import Config  # noqa: E402
from auditor.model import Scan  # noqa: E402
from auditor.pipeline import run_scan  # noqa: E402
from auditor.render import renderer  # noqa: E402
from tests.big_lineage import big_model_scan  # noqa: E402
from tests.spdx3_check import schema_errors, shacl_errors  # noqa: E402

RUNS = 5
FORMATS = ("spdx3", "spdx", "cyclonedx")


def _median(run: Callable[[], object]) -> float:
    run()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(run: Callable[[], list[str]]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _measure(label: str, scan: Scan) -> list[str]:
    rows = []
    for name in FORMATS:
        made = renderer(name)
        seconds = _median(lambda made=made: made.render(scan))
        size = len(made.render(scan).encode())
        rows.append(f"| {label} | `{name}` | {seconds:.2f} s | {size / 1e6:.1f} MB |")
    doc = json.loads(renderer("spdx3").render(scan))
    schema_s, errors = _timed(lambda: schema_errors(doc))
    shacl_s, violations = _timed(lambda: shacl_errors(doc))
    rows.append(
        f"| {label} | spdx3 validation | schema {schema_s:.2f} s ({len(errors)} errors),"
        f" SHACL {shacl_s:.1f} s ({len(violations)} violations) | {len(doc['@graph'])}"
        " elements |"
    )
    return rows


def main() -> None:
    models, _ = big_model_scan()
    data = run_scan([str(REPO / "tests" / "data")], Config(no_resolve=True, store=False))
    rows = [
        *_measure(f"1,000-model scan ({len(models.components)} components)", models),
        *_measure(f"tests/data ({len(data.components)} components)", data),
    ]
    load = os.getloadavg()
    print("## Issue 31: SPDX 3.0.1 output — `bench/spdx3_bench.py`\n")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; load {load[0]:.2f}")
    print(f"- renders: in process, median of {RUNS} after a warm-up; validation once\n")
    print("| scan | format | time | size |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
