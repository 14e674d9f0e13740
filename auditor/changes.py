"""The change summary a scan keeps: what differs from the previous scan of its targets.

Computed once, when the scan is made (the pipeline has the previous scan then, for the rules
on changed origins), and stored with it, so `auditor report` of a scan says the same thing
after `auditor prune` deleted the scan it was compared with. The comparison is
`auditor.diff.diff_scans`; this keeps its counts and the first few of each list.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.diff import diff_scans
from auditor.model import CHANGE_EXAMPLES, Changed, Changes, Scan


def summarise(previous: Scan | None, scan: Scan) -> Changes:
    """What changed from `previous` (each target's last scan, united) to `scan`."""
    if previous is None:
        return Changes(None)
    diff = diff_scans(previous, scan)
    return Changes(
        previous=previous.id,
        previous_started_at=previous.started_at,
        added=_changed([c.purl for c in diff.added]),
        removed=_changed([c.purl for c in diff.removed]),
        versions=_changed(
            [f"{v.name} {v.old or 'unpinned'} -> {v.new or 'unpinned'}" for v in diff.changed]
        ),
        origins=_changed(
            [
                f"{o.purl}: {o.field} {o.old or 'unknown'} -> {o.new or 'unknown'}"
                for o in diff.origin_changes
            ]
        ),
        takeovers=_changed([f"{o.purl}: {o.field} {o.old} -> {o.new}" for o in diff.takeovers]),
        new_findings=_changed([f"{f.rule} on {f.purl}" for f in diff.new_findings]),
        resolved_findings=_changed([f"{f.rule} on {f.purl}" for f in diff.resolved_findings]),
    )


def _changed(items: Sequence[str]) -> Changed:
    return Changed(len(items), tuple(items[:CHANGE_EXAMPLES]))
