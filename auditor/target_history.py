"""History per target identity: what one target of a many-target scan found, and the scan to
compare a new one with.

A scan of several targets is stored once, with every target's components. Compared whole,
the previous scan of target A would carry B's components too, and a diff, a notification or
`origin.changed` for A would report B's packages as added or removed. So a stored scan is
projected onto one target (`for_target`), and the scan a new one is compared with is the
union of each of its targets' own previous projections (`previous_scan`).

Decisions callers can rely on:
- A component belongs to a target when one of its locations names that target's ref (as the
  user typed it in that scan; the identity is what is stable across scans).
- Origins and findings follow their components; a finding on no component of the scan (a
  scan-wide one) stays in every projection. Dependencies stay when either end is kept (the
  source is often a project root that is not itself a component). Diagnostics cannot be told
  apart by target (their locations are paths inside it) and all stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from auditor.model import Component, Origin, Scan, Target

P = TypeVar("P", Component, Origin)


def for_target(scan: Scan, identity: str) -> Scan | None:
    """`scan` narrowed to the target with this identity; None when it is not one of them."""
    target = next((t for t in scan.targets if t.identity == identity), None)
    if target is None:
        return None
    if len(scan.targets) == 1:
        return scan
    components = tuple(
        c for c in scan.components if any(loc.target == target.ref for loc in c.locations)
    )
    kept = {c.purl for c in components}
    everywhere = {c.purl for c in scan.components}
    return replace(
        scan,
        targets=(target,),
        components=components,
        origins=tuple(o for o in scan.origins if o.purl in kept),
        dependencies=tuple(d for d in scan.dependencies if d.source in kept or d.target in kept),
        findings=tuple(f for f in scan.findings if f.purl in kept or f.purl not in everywhere),
    )


def previous_scan(targets: Iterable[Target], history: Callable[[str], Scan | None]) -> Scan | None:
    """What a new scan of `targets` compares with: each target's newest stored scan (from
    `history`, by identity) narrowed to that target, united; None when none was scanned."""
    parts = [
        part
        for t in targets
        if (found := history(t.identity)) is not None
        and (part := for_target(found, t.identity)) is not None
    ]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return replace(
        parts[0],
        targets=tuple(t for p in parts for t in p.targets),
        components=_unique(c for p in parts for c in p.components),
        origins=_unique(o for p in parts for o in p.origins),
        dependencies=tuple(dict.fromkeys(d for p in parts for d in p.dependencies)),
        findings=tuple(dict.fromkeys(f for p in parts for f in p.findings)),
        diagnostics=tuple(dict.fromkeys(d for p in parts for d in p.diagnostics)),
    )


def _unique(items: Iterable[P]) -> tuple[P, ...]:
    """First of each purl (the same component scanned for two targets), order kept."""
    seen: dict[str, P] = {}
    for item in items:
        seen.setdefault(item.purl, item)
    return tuple(seen.values())
