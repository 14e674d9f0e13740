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

from auditor.graph.trace import SELF, Tracer
from auditor.model import (
    Action,
    Claim,
    ComponentKind,
    DependencyKind,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    Severity,
    Strength,
)
from auditor.render.rollup import UNKNOWN, Count, origin_rollup

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
    support: str | None = None
    """For a root: the strength behind organisation/country, and a cached answer's age."""


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
    # Countries, organisations, chains and the inventory's columns: one answer
    # (auditor.graph.trace), as every other view gives it.
    tracer = Tracer(scan)
    facets = dict(origin_rollup(scan, tracer).facets)
    # Offline, the files' declared lineage can still name roots the knowledge base knows.
    resolved = resolved or any(c.value != UNKNOWN for c in facets["country"])
    return HtmlView(
        nonce=nonce_for(scan.id),
        kinds=_bars(
            Counter(c.kind.value for c in scan.components), [k.value for k in ComponentKind]
        ),
        support=_support(scan, origins),
        severities=tuple(Bar(s.value, severities[s]) for s in reversed(Severity)),
        waived=sum(1 for f in scan.findings if f.waived),
        blocked=tuple(f for f in scan.findings if f.action is Action.BLOCK and not f.waived),
        countries=_group_bars(facets.get("country", ())),
        organisations=_group_bars(facets.get("organisation", ())),
        resolved=resolved,
        unresolved=unresolved,
        lineage=_lineage(scan, tracer),
        index={c.purl: i for i, c in enumerate(scan.components)},
        data=_data(scan, origins, tracer),
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


def _group_bars(counts: tuple[Count, ...]) -> tuple[Bar, ...]:
    named = [c for c in counts if c.value != UNKNOWN]
    keep = CHART_BARS if len(named) > CHART_BARS + 1 else CHART_BARS + 1
    bars = [Bar(c.value, c.total) for c in named[:keep]]
    rest = named[keep:]
    if rest:
        bars.append(Bar(f"{len(rest)} other values", sum(c.total for c in rest)))
    bars += [Bar("unknown", c.total) for c in counts if c.value == UNKNOWN]
    return tuple(bars)


def _lineage(scan: Scan, tracer: Tracer) -> tuple[Lineage, ...]:
    """Every component that traces through lineage, and its chains to the roots."""
    out: list[Lineage] = []
    for c in scan.components:
        sources = [s for s in tracer.trace(c.purl).sources if s.relation != SELF]
        if not sources:
            continue
        chains = []
        for s in sources[:CHAINS_PER_MODEL]:
            purls = s.purls[: CHAIN_DEPTH + 1]
            hops = [_hop(tracer, p) for p in purls[:-1]]
            support = s.strength.value if s.strength else None
            if support and s.retrieved_at:
                support += f", registry answer fetched {s.retrieved_at[:10]}"
            chains.append((*hops, Hop(purls[-1], s.organisation, s.country, support)))
        out.append(Lineage(c.purl, tuple(chains), len(sources) > CHAINS_PER_MODEL))
    return tuple(out)


def _hop(tracer: Tracer, purl: str) -> Hop:
    o = tracer.origin(purl)
    return Hop(purl, _value(o.organisation), _value(o.country)) if o else Hop(purl, None, None)


def _value(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value


def _data(scan: Scan, origins: dict[str, Origin], tracer: Tracer) -> dict[str, Any]:
    """Rows in inventory order (the table's columns, then the purl), the purls of nodes not
    in the inventory, and edges as [from, to, kind] over rows then extras (kind 1 = lineage).
    Organisation and country are what the component traces to (its lineage roots')."""
    rows = []
    for c in scan.components:
        o = origins.get(c.purl)
        trace = tracer.trace(c.purl)
        rows.append(
            [
                c.name,
                c.version or "",
                c.kind.value,
                "yes" if c.direct else ("no" if c.direct is False else "-"),
                o.status.value if o is not None else "skipped",
                o.publisher.value if o is not None and o.publisher else "",
                o.repository.value if o is not None and o.repository else "",
                ", ".join(trace.organisations),
                ", ".join(trace.countries),
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
    for c in scan.components:  # lineage roots named only by an origin
        for s in tracer.trace(c.purl).sources:
            if s.relation != SELF and not s.path[1:]:
                edges[index[c.purl], at(s.root), 1] = None
    return {"rows": rows, "extra": list(extra), "edges": [list(e) for e in edges]}
