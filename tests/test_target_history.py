"""History per target identity: a scan of several targets does not pollute the history of
each one (`diff --since-last`, `--notify`, `origin.changed`)."""

from __future__ import annotations

from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Location,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.target_history import for_target, previous_scan


def _component(purl: str, ref: str) -> Component:
    name = purl.split("/")[-1].split("@")[0]
    return Component(purl, ComponentKind.LIBRARY, name, "1", locations=(Location(ref, "r.txt"),))


def _origin(purl: str, publisher: str) -> Origin:
    return Origin(purl, OriginStatus.RESOLVED, publisher=Claim(publisher, Strength.REGISTRY))


def _stored(scan_id: str, refs: tuple[str, ...], found: dict[str, str]) -> Scan:
    """A scan of targets `refs` finding `found` (purl -> the ref it was found in)."""
    return Scan(
        id=scan_id,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        status=ScanStatus.COMPLETE,
        tool_version="test",
        targets=tuple(Target(r, TargetKind.DIRECTORY, f"directory:/{r}", "sha256:0") for r in refs),
        components=tuple(_component(p, ref) for p, ref in found.items()),
        origins=tuple(_origin(p, "someone") for p in found),
    )


def test_previous_scan_unites_each_targets_own_last_scan() -> None:
    both = _stored("s1", ("a", "b"), {"pkg:pypi/x@1": "a", "pkg:pypi/y@1": "b"})
    only_b = _stored("s2", ("b",), {"pkg:pypi/z@1": "b"})
    latest = {"directory:/a": both, "directory:/b": only_b}
    previous = previous_scan(both.targets, latest.get)
    assert previous is not None
    # a's part of the shared scan, and b's own newer scan: never y, which b no longer has
    assert [c.purl for c in previous.components] == ["pkg:pypi/x@1", "pkg:pypi/z@1"]
    assert [o.purl for o in previous.origins] == ["pkg:pypi/x@1", "pkg:pypi/z@1"]
    assert previous_scan(both.targets, {}.get) is None
    narrowed = for_target(both, "directory:/b")
    assert narrowed is not None and [c.purl for c in narrowed.components] == ["pkg:pypi/y@1"]
    assert for_target(both, "directory:/elsewhere") is None
