"""HTML to PDF through a headless Chromium (`--print-to-pdf`), for `--pdf`.

Chromium is found at AUDITOR_CHROMIUM, else `chromium`, `chromium-browser`, `google-chrome`
on PATH. The page prints from a private temporary folder with a throwaway profile and no
network use of its own; the page's CSS (`@page`) sets the paper, margins and page numbers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from auditor.errors import OutputError, UsageError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 180.0
"""Seconds a print may take (a 1,000-component attestation takes a few)."""


def find_chromium() -> str:
    """The Chromium executable; UsageError (exit 2) saying how to get one when none is."""
    given = os.environ.get("AUDITOR_CHROMIUM")
    if given:
        if os.path.isfile(given) and os.access(given, os.X_OK):
            return given
        raise UsageError(
            f"--pdf: AUDITOR_CHROMIUM={given} is not an executable file",
            hint="point AUDITOR_CHROMIUM at a Chromium or Chrome binary, or unset it",
        )
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError(
        "--pdf: no Chromium found (looked for " + ", ".join(NAMES) + " on PATH)",
        hint="install Chromium (Debian: apt-get install chromium) or set AUDITOR_CHROMIUM; "
        "without --pdf the HTML prints from any browser",
    )


def print_pdf(html: str, output: Path, chromium: str | None = None) -> None:
    """Write `html` printed to PDF at `output`. UsageError when no Chromium is found,
    OutputError when it fails or `output` cannot be written."""
    browser = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="auditor-pdf-") as tmp:
        page = Path(tmp) / "attestation.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(tmp) / "out.pdf"
        argv = [
            browser, "--headless", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-extensions", "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={printed}",
        ]  # fmt: skip
        if os.name == "posix" and os.geteuid() == 0:
            argv.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
        argv.append(page.as_uri())
        try:
            ran = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutputError(f"--pdf: {browser} did not print: {exc}") from None
        if not printed.is_file() or printed.read_bytes()[:5] != b"%PDF-":
            why = (ran.stderr or "").strip().splitlines()[-1:] or [f"exit status {ran.returncode}"]
            raise OutputError(f"--pdf: {browser} wrote no PDF ({why[0]})")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(printed, output)
        except OSError as exc:
            raise OutputError(f"{output}: cannot write: {exc.strerror or exc}") from None
