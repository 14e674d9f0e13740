"""A ScanDiff as a table, JSON or Markdown (`auditor diff`), and history as table or JSON.

Not a Renderer: those render one Scan. JSON shape of a diff (`diff_document`):
`{"from": id|null, "to": id, "added": [{purl, name, version}], "removed": [...],
"changed": [{identity, name, old, new, change, old_purl, new_purl}],
"origin_changes": [{identity, purl, field, old, new, kind, takeover}],
"new_findings": [{rule, severity, action, purl, message, waived}], "resolved_findings": [...]}`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from auditor.diff import OriginChange, ScanDiff
from auditor.escape import markdown as markdown_escape
from auditor.escape import terminal_safe

if TYPE_CHECKING:
    from auditor.store import ScanSummary

DIFF_FORMATS = ("table", "json", "markdown")


def diff_document(diff: ScanDiff) -> dict[str, Any]:
    """The diff as plain JSON-ready data (also the body of a webhook notification)."""
    return {
        "from": diff.old_id,
        "to": diff.new_id,
        "added": [asdict(c) for c in diff.added],
        "removed": [asdict(c) for c in diff.removed],
        "changed": [asdict(c) for c in diff.changed],
        "origin_changes": [_origin(c) for c in diff.origin_changes],
        "new_findings": [asdict(f) for f in diff.new_findings],
        "resolved_findings": [asdict(f) for f in diff.resolved_findings],
    }


def _origin(c: OriginChange) -> dict[str, Any]:
    return asdict(c) | {"kind": c.kind, "takeover": c.takeover}


def render_diff(diff: ScanDiff, fmt: str) -> str:
    """`fmt` is one of DIFF_FORMATS."""
    if fmt == "json":
        return json.dumps(diff_document(diff), indent=2) + "\n"
    markdown = fmt == "markdown"
    # Text: every value one safe terminal line; Markdown: each item through `escape.markdown`.
    return "\n".join(_lines(diff if markdown else terminal_safe(diff), markdown)) + "\n"


def summary_line(diff: ScanDiff) -> str:
    """One line of counts, e.g. for a notification's title."""
    parts = [
        f"{len(diff.added)} added",
        f"{len(diff.removed)} removed",
        f"{sum(c.change.value == 'upgraded' for c in diff.changed)} upgraded",
        f"{sum(c.change.value == 'downgraded' for c in diff.changed)} downgraded",
        f"{sum(c.change.value == 'changed' for c in diff.changed)} changed",
        f"{len(diff.origin_changes)} origin changes ({len(diff.takeovers)} takeover signals)",
        f"{len(diff.new_findings)} new findings",
        f"{len(diff.resolved_findings)} resolved findings",
    ]
    return ", ".join(parts)


def _lines(diff: ScanDiff, markdown: bool) -> list[str]:
    head = f"{diff.old_id or '(nothing)'} -> {diff.new_id}"
    out = [f"## Scan diff {head}" if markdown else f"scan diff {head}", "", summary_line(diff)]
    if diff.empty:
        return [*out, "", "no changes"]
    bullet = "- " if markdown else "  "
    sections: list[tuple[str, list[str]]] = [
        ("Added", [f"{c.purl}" for c in diff.added]),
        ("Removed", [f"{c.purl}" for c in diff.removed]),
        (
            "Version changes",
            [f"{c.name} {c.old} -> {c.new} ({c.change.value})" for c in diff.changed],
        ),
        (
            "Origin changes",
            [
                f"{'TAKEOVER SIGNAL ' if c.takeover else ''}{c.purl} {c.field}: "
                f"{c.old or '-'} -> {c.new or '-'} ({c.kind})"
                for c in diff.origin_changes
            ],
        ),
        (
            "New findings",
            [f"[{f.severity}] {f.rule} {f.purl}: {f.message}" for f in diff.new_findings],
        ),
        (
            "Resolved findings",
            [f"[{f.severity}] {f.rule} {f.purl}: {f.message}" for f in diff.resolved_findings],
        ),
    ]
    for title, items in sections:
        if items:
            out += ["", f"### {title}" if markdown else f"{title.lower()}:"]
            out += [bullet + (markdown_escape(i) if markdown else i) for i in items]
    return out


def history_table(summaries: Sequence[ScanSummary]) -> str:
    """One line per scan, newest first."""
    if not summaries:
        return "no stored scans\n"
    summaries = terminal_safe(summaries)
    rows = [
        f"{s.id}  {s.started_at:29}  {s.status.value:8}  {s.component_count:>6} components"
        f"  {s.finding_count:>5} findings  {', '.join(s.targets)}"
        for s in summaries
    ]
    return "\n".join(rows) + "\n"


def history_json(summaries: Sequence[ScanSummary]) -> str:
    """`{"scans": [{id, started_at, status, targets, component_count, finding_count}]}`."""
    scans = [asdict(s) | {"status": s.status.value, "targets": list(s.targets)} for s in summaries]
    return json.dumps({"scans": scans}, indent=2) + "\n"
