"""Issue 29, everyday faults: what the fault handling costs, measured against its limits.

```sh
PYTHONPATH=$PWD .venv/bin/python bench/faults_bench.py
```

- the structure-aware fuzz suite (tests/collectors/test_fuzz_structured.py) and the fault
  tests (tests/test_cli_faults.py) at their CI example counts: under 120 s together;
- `auditor history` on a store of 200 scans of 1,000 components, with and without the page
  check that makes a damaged store an error (`PRAGMA quick_check` of the counted tables);
- `auditor.valid_text.valid_text` on 100,000 components (the guard every scan passes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fuzz_suite() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/collectors/test_fuzz_structured.py", "tests/test_cli_faults.py"],
        cwd=REPO, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    return time.perf_counter() - started


def history_check(scans: int = 200, size: int = 1000) -> tuple[float, float, int]:
    from dataclasses import replace

    from auditor.model import (
        Component,
        ComponentKind,
        Location,
        Scan,
        ScanStatus,
        Target,
        TargetKind,
    )
    from auditor.store import open_store
    from auditor.store.engine import check_pages

    components = tuple(
        Component(f"pkg:pypi/p{i}@1.0", ComponentKind.LIBRARY, f"p{i}", "1.0",
                  locations=(Location("t", "requirements.txt", i),))
        for i in range(size)
    )  # fmt: skip
    target = Target("t", TargetKind.DIRECTORY, "directory:/t", "sha256:0")
    start, end = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"
    base = Scan("x", start, end, ScanStatus.COMPLETE, "b", (target,), components)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.db"
        with open_store(f"sqlite:///{path}") as store:
            for n in range(scans):
                store.save_scan(replace(base, id=f"{n:08d}-0000-0000-0000-000000000000"))
            store.list_scans()  # warm the page cache alike for both
            started = time.perf_counter()
            store.list_scans()
            checked = time.perf_counter() - started
            with store._engine.connect() as conn:
                started = time.perf_counter()
                check_pages(conn)
                alone = time.perf_counter() - started
        return checked, alone, path.stat().st_size


def guard(size: int = 100_000) -> float:
    from auditor.collectors import Collected
    from auditor.model import Component, ComponentKind, Evidence, Location, Strength
    from auditor.valid_text import valid_text

    found = Collected(
        components=tuple(
            Component(f"pkg:pypi/p{i}@1.0", ComponentKind.LIBRARY, f"p{i}", "1.0",
                      hashes=("sha256:" + "a" * 64,),
                      locations=(Location("t", "requirements.txt", i),),
                      evidence=(Evidence("metadata", "Home-page", f"https://x.invalid/{i}",
                                         "p/METADATA", Strength.DECLARED),))
            for i in range(size)
        )
    )  # fmt: skip
    started = time.perf_counter()
    valid_text(found)
    return time.perf_counter() - started


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f}")
    checked, alone, size = history_check()
    print(f"history, 200 scans x 1,000 components ({size / 1e6:.1f} MB): "
          f"{checked:.3f} s, of which the page check {alone:.3f} s")  # fmt: skip
    print(f"valid_text on 100,000 components: {guard():.3f} s")
    took = fuzz_suite()
    verdict = "PASS" if took < 120 else "MISS"
    print(f"fuzz + fault tests: {took:.1f} s (limit 120 s) {verdict}")


if __name__ == "__main__":
    main()
