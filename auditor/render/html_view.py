"""What `templates/report.html.j2` shows beyond the JSON document: summary counts, origin
charts, lineage chains, the data its script reads, and the page's CSP nonce.

Everything here is a pure function of the Scan, so a scan renders to the same bytes at scan
time and from the store later (the nonce included).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditor.graph import OriginGroup, ProvenanceGraph
from auditor.model import (
    Action,
    Claim,
    ComponentKind,
    DependencyKind,
    Finding,
    Origin,
    OriginStatus,
    Root,
    Scan,
    Severity,
    Strength,
)

CHART_BARS = 12
"""Named values per origin chart; the rest are summed into one bar."""
CHAINS_PER_MODEL = 8
CHAIN_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a summary chart."""

    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Hop:
    """One component on a lineage chain, with where its origin points."""

    purl: str
    organisation: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Lineage:
    """A model and its chains to its lineage roots (the last hop of each)."""

    purl: str
    chains: tuple[tuple[Hop, ...], ...]
    more: bool
    """More chains exist than are kept."""


@dataclass(frozen=True, slots=True)
class HtmlView:
    """The report's derived content (see the module docstring)."""

    nonce: str
    kinds: tuple[Bar, ...]
    support: tuple[Bar, ...]
    severities: tuple[Bar, ...]
    waived: int
    blocked: tuple[Finding, ...]
    countries: tuple[Bar, ...]
    organisations: tuple[Bar, ...]
    resolved: bool
    """False when no origin was looked up (`--no-resolve`, offline with an empty cache)."""
    unresolved: int
    """Components whose origin was skipped or never recorded."""
    lineage: tuple[Lineage, ...]
    index: dict[str, int]
    """Inventory purl -> row number (anchors `c-N`)."""
    data: dict[str, Any]
    """The JSON the page's script reads: rows, extra node purls and edges."""


def nonce_for(scan_id: str) -> str:
    """The CSP nonce: derived from the scan id so a report is reproducible byte for byte.
    It is not a secret; the page relies on escaping, the nonce only limits what runs."""
    digest = hashlib.sha256(f"origin-auditor-html-nonce:{scan_id}".encode()).digest()
    return base64.b64encode(digest[:18]).decode("ascii")


def html_view(scan: Scan) -> HtmlView:
    """Everything the HTML template needs besides the JSON document."""
    origins = scan.origins_by_purl()
    resolved = any(o.status is not OriginStatus.SKIPPED for o in scan.origins)
    unresolved = sum(
        1
        for c in scan.components
        if (o := origins.get(c.purl)) is None or o.status is OriginStatus.SKIPPED
    )
    severities = Counter(f.severity for f in scan.findings)
    # Grouping by origin needs only lineage, as `auditor origins` does.
    graph = ProvenanceGraph.from_scan(scan, lineage_only=True) if resolved else None
    return HtmlView(
        nonce=nonce_for(scan.id),
        kinds=_bars(
            Counter(c.kind.value for c in scan.components), [k.value for k in ComponentKind]
        ),
        support=_support(scan, origins),
        severities=tuple(Bar(s.value, severities[s]) for s in reversed(Severity)),
        waived=sum(1 for f in scan.findings if f.waived),
        blocked=tuple(f for f in scan.findings if f.action is Action.BLOCK and not f.waived),
        countries=_group_bars(graph.origins("country")) if graph else (),
        organisations=_group_bars(graph.origins("organisation")) if graph else (),
        resolved=resolved,
        unresolved=unresolved,
        lineage=_lineage(scan, origins),
        index={c.purl: i for i, c in enumerate(scan.components)},
        data=_data(scan, origins),
    )


def _bars(counts: Counter[str], order: Iterable[str]) -> tuple[Bar, ...]:
    return tuple(Bar(k, counts[k]) for k in order if counts[k])


def _support(scan: Scan, origins: dict[str, Origin]) -> tuple[Bar, ...]:
    """Each component by the strongest support of any of its origin claims."""
    counts: Counter[str] = Counter()
    for c in scan.components:
        o = origins.get(c.purl)
        claims = [] if o is None else [o.publisher, o.repository, o.organisation, o.country]
        ranks = [cl.strength for cl in claims if cl is not None]
        counts[max(ranks, key=lambda s: s.rank).value if ranks else "unknown"] += 1
    return tuple(Bar(k, counts[k]) for k in [*(s.value for s in Strength), "unknown"])


def _group_bars(groups: tuple[OriginGroup, ...]) -> tuple[Bar, ...]:
    named = [g for g in groups if g.value is not None]
    keep = CHART_BARS if len(named) > CHART_BARS + 1 else CHART_BARS + 1
    bars = [Bar(g.value or "", g.total) for g in named[:keep]]
    rest = named[keep:]
    if rest:
        bars.append(Bar(f"{len(rest)} other values", sum(g.total for g in rest)))
    bars += [Bar("unknown", g.total) for g in groups if g.value is None]
    return tuple(bars)


def _lineage(scan: Scan, origins: dict[str, Origin]) -> tuple[Lineage, ...]:
    """Every component with a base, and its chains to the roots (depth-first, bounded).

    Bases are the `derived_from` edges plus roots an origin names (as the provenance graph
    has them), read straight from the scan: no graph walk per component.
    """
    bases: dict[str, list[str]] = {}
    for d in scan.dependencies:
        if d.kind is DependencyKind.DERIVED_FROM and d.target != d.source:
            bases.setdefault(d.source, []).append(d.target)
    named_roots: dict[str, Root] = {}
    for o in scan.origins:
        for r in o.roots:
            named_roots.setdefault(r.purl, r)
            known = bases.setdefault(o.purl, [])
            if r.purl != o.purl and r.purl not in known:
                known.append(r.purl)

    def hop(purl: str) -> Hop:
        o = origins.get(purl)
        if o is not None:
            return Hop(purl, _value(o.organisation), _value(o.country))
        r = named_roots.get(purl)
        return Hop(purl, r.organisation if r else None, r.country if r else None)

    out: list[Lineage] = []
    for c in scan.components:
        if not bases.get(c.purl):
            continue
        chains: list[tuple[str, ...]] = []
        more = False
        stack: list[tuple[str, ...]] = [(c.purl,)]
        while stack:
            path = stack.pop()
            nxt = [b for b in sorted(bases.get(path[-1], ())) if b not in path]
            if not nxt or len(path) > CHAIN_DEPTH:
                if len(chains) == CHAINS_PER_MODEL:
                    more = True
                    break
                chains.append(path)
                continue
            stack.extend((*path, b) for b in reversed(nxt))
        out.append(Lineage(c.purl, tuple(tuple(hop(p) for p in ch) for ch in chains), more))
    return tuple(out)


def _value(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value


def _data(scan: Scan, origins: dict[str, Origin]) -> dict[str, Any]:
    """Rows in inventory order (the table's columns, then the purl), the purls of nodes not
    in the inventory, and edges as [from, to, kind] over rows then extras (kind 1 = lineage)."""
    rows = []
    for c in scan.components:
        o = origins.get(c.purl)
        claims = [None] * 4 if o is None else [o.publisher, o.repository, o.organisation, o.country]
        rows.append(
            [
                c.name,
                c.version or "",
                c.kind.value,
                "yes" if c.direct else ("no" if c.direct is False else "-"),
                o.status.value if o is not None else "skipped",
                *(cl.value if cl is not None else "" for cl in claims),
                c.license or "",
                c.purl,
            ]
        )
    index = {c.purl: i for i, c in enumerate(scan.components)}
    extra: dict[str, int] = {}

    def at(purl: str) -> int:
        found = index.get(purl)
        if found is None:
            found = extra.setdefault(purl, len(index) + len(extra))
        return found

    edges = dict.fromkeys(
        (at(d.source), at(d.target), int(d.kind is DependencyKind.DERIVED_FROM))
        for d in scan.dependencies
    )
    for o in scan.origins:  # lineage roots named only by an origin
        for r in o.roots:
            if r.purl != o.purl and o.purl in index:
                edges[index[o.purl], at(r.purl), 1] = None
    return {"rows": rows, "extra": list(extra), "edges": [list(e) for e in edges]}
