"""Browser fixtures for the HTML report's tests: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

ARTEFACTS = Path(os.environ.get("AUDITOR_TEST_ARTEFACTS", REPO / "out" / "test-artefacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# --- pages --------------------------------------------------------------------------------


@dataclass
class Loaded:
    """One report open in the browser, and what the page did while loading and after."""

    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        """Keep console errors (a CSP violation is reported as one)."""
        if message.type == "error":
            self.errors.append(message.text)

    def on_dialog(self, dialog: Any) -> None:
        """An alert or prompt means metadata ran: keep it, and close it."""
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def foreign_requests(self) -> list[str]:
        """Requests other than the report's own file."""
        return [r for r in self.requests if r != self.url]

    def check_clean(self) -> None:
        """No console errors, no network, no dialogs."""
        assert self.errors == [], self.errors
        assert self.foreign_requests() == [], self.foreign_requests()
        assert self.dialogs == [], self.dialogs


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Debian's chromium via Playwright, with the house's flags."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Iterator[Callable[..., Loaded]]:
    """Write HTML to a file and open it; closes every page it opened."""
    contexts: list[Any] = []

    def load(html: str, name: str = "report.html", javascript: bool = True) -> Loaded:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        context = browser.new_context(java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        loaded = Loaded(page, path.as_uri())
        page.on("console", loaded.on_console)
        page.on("pageerror", lambda e: loaded.errors.append(str(e)))
        page.on("request", lambda r: loaded.requests.append(r.url))
        page.on("dialog", loaded.on_dialog)
        page.goto(loaded.url, wait_until="load")
        return loaded

    yield load
    for context in contexts:
        context.close()
