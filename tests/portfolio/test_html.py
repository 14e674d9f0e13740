"""The HTML portfolio report in a real browser: self-contained, the roll-ups equal to the
JSON answers, one row per target, hostile names inert."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from auditor.store import open_store
from tests.conftest import Ran
from tests.portfolio.test_portfolio import SCANS, stored  # noqa: F401 (fixture)
from tests.render.conftest import browser, open_report  # noqa: F401 (fixtures)
from tests.store.test_store import make_scan

ARTEFACTS = Path(__file__).resolve().parents[2] / "out"


def test_the_page_matches_the_answers(
    stored: str,  # noqa: F811
    auditor: Callable[..., Ran],
    open_report: Callable[..., object],  # noqa: F811
    tmp_path: Path,
) -> None:
    hostile = make_scan("hostile", "2026-11-01T00:00:00+00:00",
                        ('directory:/srv/<img src=x onerror=alert(1)>\x1b[2J',), 2, 1)  # fmt: skip
    with open_store(stored) as store:
        store.save_scan(hostile)
    out = tmp_path / "portfolio.html"
    ran = auditor("portfolio", "report", "-o", out)
    assert ran.code == 0, ran.stderr
    page = open_report(out.read_text(encoding="utf-8"), javascript=False)
    loaded = page.page  # type: ignore[attr-defined]
    page.check_clean()  # type: ignore[attr-defined]
    assert loaded.locator("img").count() == 0  # the target name is text, not markup
    rows = loaded.locator("#target-rows tbody tr")
    assert rows.count() == len({s.targets[0].identity for s in SCANS}) + 1
    assert "\u241b[2J" in loaded.locator("#target-rows").inner_text()  # ESC made visible
    for facet in ("country", "organisation", "lineage-root-organisation"):
        answer = json.loads(auditor("portfolio", "origins", "--by", facet, "-f", "json").stdout)
        shown = {
            r.get_attribute("data-value"): [int(c) for c in r.locator("td").all_inner_texts()[1:]]
            for r in loaded.locator(f"#rollup-{facet} tbody tr").all()
        }
        expected = {
            (g["value"] if g["value"] is not None else "unknown"): [
                g[k] for k in ("targets", "total", "direct", "transitive", "packages", "models")
            ]
            for g in answer["groups"]
        }
        assert shown == expected, facet
    assert loaded.locator('[data-metric="targets"]').inner_text() == str(rows.count())
    ARTEFACTS.mkdir(exist_ok=True)
    loaded.screenshot(path=str(ARTEFACTS / "portfolio-report.png"), full_page=True)


def test_an_empty_portfolio_is_a_page_too(
    db_url: str,
    auditor: Callable[..., Ran],
    open_report: Callable[..., object],  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "empty.html"
    assert auditor("portfolio", "report", "-o", out).code == 0
    page = open_report(out.read_text(encoding="utf-8"), javascript=False)
    page.check_clean()  # type: ignore[attr-defined]
    assert "no scans" in page.page.locator("#target-rows").inner_text()  # type: ignore[attr-defined]
