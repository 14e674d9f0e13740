"""Benchmark for issue 34: the compliance attestation of a 1,000-component release printed on
at most 5 pages (A4 and Letter).

    PYTHONPATH=. /work/main/.venv/bin/python bench/attestation_bench.py [--append]

The releases are the attestation test's (tests/render/test_attestation.py `release`:
big_scan's libraries and models, 30% origins unknown, two AI services, listed-entity matches
shaped as the screening check writes them, waivers), with test screening lists; one with 12
matches over 6 publisher chains, one with 100 over 6, one with 100 over 100 (every match its
own path: the worst case), and a 10,000-component one for scale. Each is rendered
(`AttestationRenderer`) and printed through the same path as `--pdf` (headless Chromium,
`auditor.render.pdf.print_pdf`) on A4 and Letter; pypdf counts the pages and checks that
every match's entry and component are in the PDF's text. Limit: <= 5 pages at 1,000
components. Always exits 0; prints PASS/MISS. `--append` adds the section to RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the release generator lives with the test that checks it

from pypdf import PdfReader  # noqa: E402

from auditor.render.attestation import AttestationRenderer  # noqa: E402
from auditor.render.attestation_view import attestation  # noqa: E402
from auditor.render.pdf import print_pdf  # noqa: E402
from auditor.screening.lists import load_lists  # noqa: E402
from tests.render.test_attestation import release, write_lists  # noqa: E402

PAGE_LIMIT = 5
CASES = ((1000, 12, 6), (1000, 100, 6), (1000, 100, 100), (10_000, 12, 6))
"""(components, matches, distinct publisher → organisation → parent chains among them)."""


def measure(
    n: int, matches: int, chains: int, paper: str, lists: Path, tmp: Path
) -> dict[str, object]:
    """Render and print one release; its figures."""
    scan = release(n, matches, chains)
    started = time.perf_counter()
    html = AttestationRenderer(paper=paper, lists=lists).render(scan)
    rendered = time.perf_counter() - started
    out = tmp / f"att-{n}-{matches}-{paper}.pdf"
    started = time.perf_counter()
    print_pdf(html, out)
    printed = time.perf_counter() - started
    reader = PdfReader(out)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    said = attestation(scan, load_lists(lists))
    missing = [
        p
        for m in said.matches
        for p in m.purls
        if re.sub(r"\s+", "", m.entry) not in text
        or re.sub(r"\s+", "", p.replace("\x1b", "\u241b")) not in text
    ]
    return {
        "n": n, "matches": said.matched, "chains": chains, "paper": paper,
        "pages": len(reader.pages),
        "render_s": rendered, "print_s": printed, "html_kb": len(html.encode()) / 1000,
        "missing": len(missing), "unscreened": said.unscreened,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lists = write_lists(Path(tmp) / "screening")
        rows = [
            measure(n, matches, chains, paper, lists, Path(tmp))
            for n, matches, chains in CASES
            for paper in ("a4", "letter")
        ]
    lines = [
        "",
        "## Issue 34: the compliance attestation on paper — `bench/attestation_bench.py`",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; load at start "
        f"{os.getloadavg()[0]:.2f}",
        "- printed by the `--pdf` path: headless Debian Chromium `--print-to-pdf`; pages "
        "counted by pypdf; every match's entry and component searched in the PDF's text",
        "",
        "| release | matches (distinct paths) | not screenable | paper | pages | limit | render "
        "| print | HTML | matches missing from the PDF | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        limited = r["n"] == 1000
        ok = r["missing"] == 0 and (not limited or int(str(r["pages"])) <= PAGE_LIMIT)
        lines.append(
            f"| {r['n']:,} components | {r['matches']} ({r['chains']}) | {r['unscreened']} "
            f"| {r['paper']} "
            f"| {r['pages']} | {'<= 5' if limited else '—'} | {float(str(r['render_s'])):.2f} s "
            f"| {float(str(r['print_s'])):.2f} s | {float(str(r['html_kb'])):.0f} kB "
            f"| {r['missing']} | {'PASS' if ok else 'MISS'} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with (REPO / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
