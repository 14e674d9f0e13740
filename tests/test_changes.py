"""The change summary a scan keeps (auditor.changes): counted when the scan is made, stored
with it, and what its reports say even after the scan it was compared with is pruned."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from auditor.changes import summarise
from auditor.model import (
    CHANGE_EXAMPLES,
    Action,
    Component,
    ComponentKind,
    Finding,
    Scan,
    ScanStatus,
    Severity,
    Target,
    TargetKind,
)
from tests.conftest import Ran, write_files


def _scan(scan_id: str, packages: dict[str, str], findings: tuple[Finding, ...] = ()) -> Scan:
    return Scan(
        id=scan_id,
        started_at="2026-12-01T10:00:00Z",
        finished_at="2026-12-01T10:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="test",
        targets=(Target("app/", TargetKind.DIRECTORY, "directory:/app", "sha256:0"),),
        components=tuple(
            Component(f"pkg:pypi/{n}@{v}", ComponentKind.LIBRARY, n, v) for n, v in packages.items()
        ),
        findings=findings,
    )


def test_summary_counts_and_names_the_first_few() -> None:
    unpinned = Finding("package.unpinned", Severity.MEDIUM, Action.WARN, "pkg:pypi/b@1.0", "x")
    before = _scan("old-scan-1", {"a": "1.0", "b": "1.0", "gone": "2.0"}, (unpinned,))
    many = {f"new-{i}": "1.0" for i in range(CHANGE_EXAMPLES + 3)}
    after = _scan("new-scan-1", {"a": "1.1", "b": "1.0", **many})
    changes = summarise(before, after)
    assert changes.previous == "old-scan-1"
    assert changes.previous_started_at == before.started_at
    assert changes.added.count == CHANGE_EXAMPLES + 3
    assert len(changes.added.examples) == CHANGE_EXAMPLES
    assert changes.removed.count == 1 and changes.removed.examples == ("pkg:pypi/gone@2.0",)
    assert changes.versions.examples == ("a 1.0 -> 1.1",)
    assert changes.resolved_findings.examples == ("package.unpinned on pkg:pypi/b@1.0",)
    assert changes.new_findings.count == 0
    first = summarise(None, after)
    assert first.previous is None and first.added.count == 0


def _scan_id(path: Path) -> str:
    return str(json.loads(path.read_text(encoding="utf-8"))["scan"]["id"])


def test_reports_are_byte_identical_after_the_previous_scan_is_pruned(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    project = write_files(tmp_path / "app", {"requirements.txt": "requests==2.32.3\n"})
    ran = auditor("scan", "--no-resolve", project, "--format", "json", "-o", tmp_path / "1.json")
    assert ran.code == 0, ran.stderr
    (project / "requirements.txt").write_text("requests==2.32.4\nidna==3.10\n", encoding="utf-8")
    ran = auditor("scan", "--no-resolve", project, "--format", "json", "-o", tmp_path / "2.json")
    assert ran.code == 0, ran.stderr
    first, second = _scan_id(tmp_path / "1.json"), _scan_id(tmp_path / "2.json")
    before = {}
    for fmt in ("html", "markdown"):
        out = tmp_path / f"before.{fmt}"
        assert auditor("report", second, "--format", fmt, "-o", out).code == 0
        before[fmt] = out.read_bytes()
    html = before["html"].decode()
    assert f"Since the previous scan of this target ({first[:8]}" in html
    assert "1 component(s) added: pkg:pypi/idna@3.10" in html
    assert "1 version change(s): requests 2.32.3 -&gt; 2.32.4" in html
    ran = auditor("prune", "--keep-last", "1")
    assert ran.code == 0, ran.stderr
    assert auditor("report", first, "--format", "html").code != 0  # it is gone
    for fmt in ("html", "markdown"):
        out = tmp_path / f"after.{fmt}"
        assert auditor("report", second, "--format", fmt, "-o", out).code == 0
        assert out.read_bytes() == before[fmt], fmt
    # The first scan of a target says so; with no store consulted, nothing is claimed.
    other = write_files(tmp_path / "other", {"requirements.txt": "idna==3.10\n"})
    ran = auditor("scan", "--no-resolve", other, "--format", "html")
    assert "This is the first stored scan of this target" in ran.stdout
    ran = auditor("scan", "--no-resolve", other, "--no-store", "--format", "html")
    assert "No earlier scan was consulted" in ran.stdout
