"""Benchmark for issue 14: the HTML audit report of a 10,000-component, 2,000-finding scan.

    .venv/bin/python bench/html_bench.py [--rounds 3] [--append]

Stores the synthetic scan of tests/render/test_html.py (`big_scan`: 10% models in lineages,
30% unknown origins, two dependency edges per library, findings of every severity) in a
throwaway SQLite file, then measures `auditor report ID --format html -o FILE` as a whole CLI
run (median of the rounds) and the file's size. The browser figures (Chromium load, a filter
keystroke, a sort, showing all rows) come from running that test module's figures test,
which writes them to a file this script reads. Limits: CLI < 3 s, file < 15 MB; the browser
figures are reported, not judged. Always exits 0; prints PASS/MISS per limit. `--append`
adds the section to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the scan generator lives with the test that checks its page

from bench_tools import child_env  # noqa: E402

from auditor.store import open_store  # noqa: E402
from tests.render.test_html import big_scan  # noqa: E402

AUDITOR = REPO / ".venv" / "bin" / "auditor"
PYTEST = REPO / ".venv" / "bin" / "pytest"
CLI_LIMIT_S = 3.0
SIZE_LIMIT = 15 * 10**6
WHY_MISSES = "## Why the remaining misses"


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def browser_figures(tmp: Path) -> dict[str, float] | str:
    """Run the browser test that measures the page; its figures, or why there are none."""
    out = tmp / "figures.json"
    ran = subprocess.run(
        [
            str(PYTEST),
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/render/test_html.py",
            "-k",
            "ten_thousand",
        ],
        cwd=REPO,
        env=child_env({"AUDITOR_HTML_FIGURES": str(out)}),
        capture_output=True,
        text=True,
        check=False,
    )
    if not out.exists():
        return (ran.stdout.strip().splitlines() or ["no output"])[-1]
    figures: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def main() -> int:
    """Run everything and print the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    scan = big_scan()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp}/html.db"
        with open_store(url) as store:
            store.save_scan(scan)
        out = tmp / "report.html"
        times = []
        env = child_env({"AUDITOR_DB": url})
        for _ in range(args.rounds):
            start = time.perf_counter()
            ran = subprocess.run(
                [str(AUDITOR), "report", scan.id, "--format", "html", "-o", str(out)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - start)
            if ran.returncode != 0:
                print(ran.stderr, file=sys.stderr)
                return 0
        size = out.stat().st_size
        figures = browser_figures(tmp)
    cli = statistics.median(times)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "## Issue 14: HTML audit — `bench/html_bench.py`",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs;"
        f" python {platform.python_version()}; browser: Debian chromium, headless, Playwright",
        f"- load average at end (1/5/15 min): {load}",
        f"- input: {len(scan.components):,} components, {len(scan.findings):,} findings,"
        f" {len(scan.dependencies):,} dependency edges (`big_scan` in tests/render/test_html.py)",
        "",
        "| measure | value | limit | verdict |",
        "|---|---|---|---|",
        f"| `auditor report ID --format html -o FILE`, whole CLI (median of"
        f" {', '.join(f'{t:.2f}' for t in times)} s) | {cli:.2f} s | < {CLI_LIMIT_S:.0f} s"
        f" | {verdict(cli < CLI_LIMIT_S)} |",
        f"| file size | {size / 10**6:.2f} MB | < 15 MB | {verdict(size < SIZE_LIMIT)} |",
    ]
    if isinstance(figures, dict):
        lines += [
            f"| Chromium: open until the first frame after load | {figures['load_wall_s']:.2f} s"
            " | reported | |",
            f"| Chromium: DOMContentLoaded / load event | {figures['dom_content_loaded_ms']:.0f}"
            f" / {figures['load_event_end_ms']:.0f} ms | reported | |",
            f"| focus the filter (scrolls the inventory into view), to the next frame |"
            f" {figures['inventory_first_view_ms']:.0f} ms | reported | |",
            f"| then typing `model-12`: each keystroke, input to the next frame |"
            f" median {figures['filter_keystroke_ms']:.0f} ms, max"
            f" {figures['filter_keystroke_max_ms']:.0f} ms (8 keys) | reported | |",
            f"| sort by a column (click, 10,000 rows) | {figures['sort_click_wall_s']:.2f} s"
            " | reported | |",
            f'| "Show all" (lay out every row) | {figures["show_all_wall_s"]:.2f} s | reported | |',
        ]
    else:
        lines.append(f"| browser figures | not measured: {figures} | | |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        results = REPO / "bench" / "RESULTS.md"
        before, mark, after = results.read_text(encoding="utf-8").partition(WHY_MISSES)
        if mark:  # the suites' sections come before the closing discussion
            results.write_text(before + text + "\n" + mark + after, encoding="utf-8")
        else:
            results.write_text(before.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
