"""Benchmark for issue 29: images of many tiny files stay within 256 MB RSS.

    PYTHONPATH=. python bench/image_entries_bench.py

Builds docker-save archives whose one layer lists N empty files (GNU tar headers, gzip), and
scans each (`auditor scan image:… --offline --no-store -f json`) as a child process, reading
its peak RSS and wall time; once with the default `--max-image-entries` (500,000) and once
with the budget raised past N, so the cost per listed path is visible. Limit: ≤ 256 MB RSS
for any single file. Prints a Markdown section for bench/RESULTS.md; always exits 0.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_tools import child_env

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUILD = """import sys
from pathlib import Path
from tests.bounds.test_image_entries import _image
Path(sys.argv[2]).write_bytes(_image(int(sys.argv[1]), many_first=True))
"""

LIMIT_MB = 256


def _run(archive: Path, budget: int | None) -> tuple[float, float, int, str]:
    argv = [sys.executable, "-m", "auditor", "scan", f"image:{archive}", "--offline",
            "--no-store", "-f", "json", "-o", str(archive.with_suffix(".json"))]  # fmt: skip
    if budget is not None:
        argv += ["--max-image-entries", str(budget)]
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=child_env({"PYTHONPATH": str(REPO)}),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    # wait4: this child's own peak RSS (RUSAGE_CHILDREN keeps the largest child so far).
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    rss, code = usage.ru_maxrss / 1024, child.returncode
    note = "layer skipped (budget)" if "max-image-entries" in archive.with_suffix(
        ".json").read_text() else "all inventoried"  # fmt: skip
    return wall, rss, code, note


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for files in (100_000, 300_000, 490_000, 1_200_000):
            archive = Path(tmp) / f"i{files}.tar"
            # Built in a child: a parent grown by the build would pass its size on to
            # every scan it forks (ru_maxrss counts the pages inherited before exec).
            subprocess.run([sys.executable, "-c", BUILD, str(files), str(archive)],
                           env=child_env({"PYTHONPATH": str(REPO)}), check=True)  # fmt: skip
            size = archive.stat().st_size / 1e6
            for budget in (None, 2_000_000):
                wall, rss, code, note = _run(archive, budget)
                label = "default (500,000)" if budget is None else f"{budget:,}"
                verdict = "PASS" if rss <= LIMIT_MB else "MISS"
                rows.append((f"{files:,} empty files ({size:.1f} MB)", label, wall, rss, code,
                             note, verdict))  # fmt: skip
    print("## Issue 29: images of many tiny files — `bench/image_entries_bench.py`\n")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {platform.machine()}, python {platform.python_version()}")
    print("- limit: ≤ 256 MB RSS for any single file\n")
    print("| image | --max-image-entries | wall s | peak RSS MB | exit | inventory | verdict |")
    print("|---|---|---|---|---|---|---|")
    for image, label, wall, rss, code, note, verdict in rows:
        print(f"| {image} | {label} | {wall:.1f} | {rss:.0f} | {code} | {note} | {verdict} |")


if __name__ == "__main__":
    main()
