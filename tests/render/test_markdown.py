"""`--format markdown` (the pull-request comment) and the JSON document's shape, against
golden files in tests/golden/. Regenerate them after an intended change with
`UPDATE_GOLDEN=1 pytest tests/render/test_markdown.py` and review the diff."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    Severity,
    Strength,
)
from auditor.render import renderer
from auditor.render.markdown import MAX_CHARS, MarkdownRenderer
from tests.conftest import DATA, Ran
from tests.render.test_renderers import HOSTILE
from tests.render.test_renderers import _scan as hostile_scan

GOLDEN = Path(__file__).parents[1] / "golden"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; see the module docstring"


def _ranked() -> Scan:
    base = hostile_scan()
    lib = base.components[0].purl
    findings = (
        Finding("package.unpinned", Severity.LOW, Action.WARN, lib, "low one"),
        Finding("pypi.yanked", Severity.CRITICAL, Action.BLOCK, lib, "waived", waiver="ok"),
        Finding("pypi.hash-mismatch", Severity.HIGH, Action.WARN, lib, "high one"),
        Finding("package.editable", Severity.INFO, Action.REPORT, lib, "info one"),
        Finding("x.medium", Severity.MEDIUM, Action.WARN, lib, "medium one"),
    )
    return dataclasses.replace(base, findings=findings)


def test_markdown_golden() -> None:
    _golden("report.md", renderer("markdown").render(_ranked()))


def test_json_golden() -> None:
    _golden("scan.json", renderer("json").render(_ranked()))


def test_findings_highest_first_waived_last() -> None:
    md = renderer("markdown", Severity.INFO).render(_ranked())
    order = re.findall(r"^\| \*\*(\w+)\*\* \|", md, flags=re.MULTILINE)
    assert order == ["high", "medium", "low", "info", "critical"]
    assert "**4 findings** (+1 waived)" in md
    assert md.index("## Findings") < md.index("## Origins") < md.index("<details>")


def test_info_findings_are_counted_but_listed_only_on_request() -> None:
    default = renderer("markdown").render(_ranked())
    order = re.findall(r"^\| \*\*(\w+)\*\* \|", default, flags=re.MULTILINE)
    assert order == ["high", "medium", "low", "critical"]
    assert "**4 findings** (+1 waived)" in default  # the count is of every finding
    assert "_1 finding(s) below low are counted above but not listed._" in default
    table = renderer("table").render(_ranked())
    assert "info one" not in table and "1 finding(s) below low not listed" in table
    assert "info one" in renderer("table", Severity.INFO).render(_ranked())
    # machine formats are never filtered
    for fmt in ("json", "sarif"):
        assert "info one" in renderer(fmt, Severity.CRITICAL).render(_ranked())


def test_origin_rollup_counts() -> None:
    md = renderer("markdown").render(_ranked())
    # Two components: the library's origin has no country; the model (published from FR)
    # is a fine-tune whose lineage root is US: it traces to US (auditor.graph.trace).
    assert "| country | US | 1 | 1 |" in md
    assert "| country | unknown | 1 | 0 |" in md
    assert "1 resolved, 0 unknown, 0 unreachable, 1 skipped" in md


def test_metadata_is_escaped() -> None:
    md = renderer("markdown").render(_ranked())
    assert "<script>" not in md and "](javascript:" not in md and "\x1b" not in md
    assert HOSTILE not in md


def _big(count: int, message_size: int = 50) -> Scan:
    components = tuple(
        Component(f"pkg:pypi/p{i}@1", ComponentKind.LIBRARY, f"p{i}", "1") for i in range(count)
    )
    origins = tuple(
        Origin(c.purl, OriginStatus.RESOLVED, country=Claim(f"C{i % 30}", Strength.INFERRED))
        for i, c in enumerate(components)
    )
    findings = tuple(
        Finding("package.unpinned", Severity.LOW, Action.WARN, c.purl, "m" * message_size)
        for c in components
    )
    return dataclasses.replace(
        hostile_scan(), components=components, origins=origins, findings=findings
    )


@pytest.mark.parametrize(("count", "cap"), [(400, 20_000), (3000, MAX_CHARS)])
def test_long_comments_are_cut_and_say_so(count: int, cap: int) -> None:
    md = MarkdownRenderer(max_chars=cap).render(_big(count))
    assert len(md) <= cap
    shown = len(re.findall(r"^\| p\d+ \|", md, flags=re.MULTILINE))
    assert 0 < shown < count
    assert f"_truncated: {count - shown} more rows_" in md
    findings = len(re.findall(r"^\| \*\*low\*\* \|", md, flags=re.MULTILINE))
    assert f"_truncated: {count - findings} more rows_" in md
    # The roll-up lists the top values and counts the rest.
    assert "| country | +20 more |" in md
    assert md.rstrip().endswith("</details>")


def test_short_comments_are_whole() -> None:
    md = MarkdownRenderer().render(_big(20))
    assert "truncated" not in md
    assert len(re.findall(r"^\| p\d+ \|", md, flags=re.MULTILINE)) == 20


def test_even_the_summary_is_capped() -> None:
    md = MarkdownRenderer(max_chars=300).render(_big(5))
    assert len(md) <= 300
    assert "truncated" in md


def test_cli_report_renders_the_stored_scan_identically(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    out = tmp_path / "comment.md"
    ran = auditor("scan", DATA, "--no-resolve", "--format", "markdown", "-o", out)
    assert ran.code == 0, ran.stderr
    text = out.read_text(encoding="utf-8")
    [scan_id] = re.findall(r"<summary>Scan (\S+)</summary>", text)
    again = auditor("report", scan_id, "--format", "markdown")
    assert again.code == 0, again.stderr
    assert again.stdout == text
    assert "**" in text and "## Findings" in text
