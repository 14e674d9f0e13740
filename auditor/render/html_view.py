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

from auditor.graph.trace import HUB, SELF, Trace, Tracer, answered, unversioned
from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    DependencyKind,
    Finding,
    Origin,
    OriginStatus,
    Scan,
    Severity,
    Strength,
)
from auditor.render.answer import Answer, answer
from auditor.render.rollup import UNKNOWN, Count, origin_rollup
from auditor.render.services_view import SDK_DEFAULT, ServiceRow, service_rows

CHART_BARS = 12
"""Named values per origin chart; the rest are summed into one bar."""
CHAINS_PER_MODEL = 8
CHAIN_DEPTH = 32
FOCUS_MODELS = 4
"""Models whose lineage the graph panel draws when the page opens."""


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
class RuleGroup:
    """Findings of one rule: the worst severity first, waived ones last."""

    rule: str
    severity: str
    """The most severe of them."""
    findings: tuple[Finding, ...]
    blocked: int
    waived: int
    by_severity: tuple[tuple[str, int], ...]
    """(severity, count), critical first, only those present."""

    @property
    def count(self) -> int:
        """How many findings the group holds."""
        return len(self.findings)

    @property
    def info(self) -> int:
        """Findings at `info`: summarised, not listed, in print."""
        return sum(1 for f in self.findings if f.severity is Severity.INFO)


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
    answer: Answer
    """The opening sentences (`auditor.render.answer`), shared with the Markdown report."""
    attention: tuple[RuleGroup, ...]
    """Blocked and high/critical findings by rule, most severe group first (page 2)."""
    groups: tuple[RuleGroup, ...]
    """Every finding by rule, most severe group first (the appendix)."""
    index: dict[str, int]
    """Inventory purl -> row number (anchors `c-N`)."""
    data: dict[str, Any]
    """The JSON the page's script reads: rows, extra node purls and edges."""
    services: tuple[ServiceRow, ...] = ()
    """The hosted AI services the code calls (the "AI services called" appendix)."""
    sdk_default: str = SDK_DEFAULT
    """The endpoint text that stands for the client library's default (shown muted)."""


def nonce_for(scan_id: str) -> str:
    """The CSP nonce: derived from the scan id so a report is reproducible byte for byte.
    It is not a secret; the page relies on escaping, the nonce only limits what runs."""
    digest = hashlib.sha256(f"origin-auditor-html-nonce:{scan_id}".encode()).digest()
    return base64.b64encode(digest[:18]).decode("ascii")


def html_view(scan: Scan) -> HtmlView:
    """Everything the HTML template needs besides the JSON document."""
    origins = scan.origins_by_purl()
    resolved = any(o.status is not OriginStatus.SKIPPED for o in scan.origins)
    severities = Counter(f.severity for f in scan.findings)
    # Countries, organisations, chains and the inventory's columns: one answer
    # (auditor.graph.trace), as every other view gives it.
    tracer = Tracer(scan)
    rollup = origin_rollup(scan, tracer)
    facets = dict(rollup.facets)
    said = answer(scan, tracer, rollup)
    groups = rule_groups(scan.findings)
    urgent = [f for f in scan.findings
              if (f.action is Action.BLOCK or f.severity.rank >= Severity.HIGH.rank)
              and not f.waived]  # fmt: skip
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
        unresolved=sum(g.count for g in said.unresolved),
        lineage=_lineage(scan, tracer),
        answer=said,
        attention=rule_groups(urgent),
        groups=groups,
        index={c.purl: i for i, c in enumerate(scan.components)},
        data=_data(scan, origins, tracer, [m.purl for m in said.models]),
        services=service_rows(scan, tracer),
    )


def rule_groups(findings: Iterable[Finding]) -> tuple[RuleGroup, ...]:
    """Findings by rule; groups by their worst severity, then size, then rule id."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    out = []
    for rule, members in by_rule.items():
        members.sort(key=lambda f: (f.waived, -f.severity.rank))
        counts = Counter(f.severity for f in members)
        worst = max(counts, key=lambda s: s.rank)
        out.append(
            RuleGroup(
                rule,
                worst.value,
                tuple(members),
                sum(1 for f in members if f.action is Action.BLOCK and not f.waived),
                sum(1 for f in members if f.waived),
                tuple((s.value, counts[s]) for s in reversed(Severity) if counts[s]),
            )
        )
    out.sort(key=lambda g: (-Severity(g.severity).rank, -g.blocked, -g.count, g.rule))
    return tuple(out)


def abbreviate(text: str, keep: int = 48) -> str:
    """`text` cut in the middle to `keep` characters (the full value goes in a title)."""
    if len(text) <= keep:
        return text
    head = keep * 2 // 3
    return text[:head] + "…" + text[len(text) - (keep - head - 1) :]


def short_purl(purl: str) -> str:
    """A purl for a table cell: a long version (a commit) cut to 7 characters, then the
    whole cut in the middle; the full purl is the cell's title and what a copy takes."""
    base, at, version = purl.partition("@")
    if at:
        version, q, rest = version.partition("?")
        if len(version) > 12:
            version = version[:7] + "…"
        base = f"{base}@{version}" + (f"?{abbreviate(rest, 16)}" if q else "")
    return abbreviate(base)


def hop_name(purl: str) -> str:
    """A lineage hop as a reader names it: `org/model` for a Hub purl (its revision cut to 7
    characters), else the abbreviated purl."""
    if not purl.startswith(HUB):
        return short_purl(purl)
    name = unversioned(purl)[len(HUB) :].partition("?")[0]
    revision = purl.partition("@")[2].partition("?")[0]
    return abbreviate(name + (f"@{revision[:7]}" if revision else ""))


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


def _strength(trace: Trace, origin: Origin | None) -> str:
    """What supports the organisation/country a component traces to (the strongest)."""
    found = [s.strength for s in trace.sources if s.strength and (s.organisation or s.country)]
    if not found and origin is not None:
        found = [cl.strength for cl in (origin.organisation, origin.country) if cl is not None]
    return max(found, key=lambda s: s.rank).value if found else ""


def _licence(c: Component, trace: Trace) -> str:
    """The component's licence, and for a derived model its lineage roots' (whose terms its
    weights are under)."""
    roots = [s.licence for s in trace.sources if s.relation != SELF and s.licence]
    text = c.license or ""
    if roots:
        text += f"{' ' if text else ''}(root: {', '.join(dict.fromkeys(roots))})"
    return text


def _data(
    scan: Scan, origins: dict[str, Origin], tracer: Tracer, important: list[str]
) -> dict[str, Any]:
    """Rows in inventory order (the table's columns, the purl, the strength of the
    organisation/country answer), the purls of nodes not in the inventory, edges as [from,
    to, kind] over rows then extras (kind 1 = lineage), and `focus`: the rows of the most
    important models, whose lineage the graph shows on load. Organisation and country are
    what the component traces to (its lineage roots')."""
    rows = []
    for c in scan.components:
        o = origins.get(c.purl)
        trace = tracer.trace(c.purl)
        rows.append(
            [
                c.name,
                # a hosted service has no version to pin: "-", not an empty (unpinned) cell
                c.version or ("-" if c.kind is ComponentKind.SERVICE else ""),
                c.kind.value,
                "yes" if c.direct else ("no" if c.direct is False else "-"),
                o.status.value if o is not None else "skipped",
                o.publisher.value if o is not None and o.publisher else "",
                o.repository.value if o is not None and o.repository else "",
                ", ".join(answered(trace, "organisation", o)),
                ", ".join(answered(trace, "country", o)),
                _licence(c, trace),
                c.purl,
                _strength(trace, o),
            ]
        )
    index = {c.purl: i for i, c in enumerate(scan.components)}
    # A base model is named without its revision; the inventory holds the cached revision:
    # one node, so a chain through it stays connected.
    revisions: dict[str, int] = {}
    for c in scan.components:
        if c.purl.startswith(HUB):
            revisions.setdefault(unversioned(c.purl), index[c.purl])
    extra: dict[str, int] = {}

    def at(purl: str) -> int:
        found = index.get(purl)
        if found is None:
            found = revisions.get(unversioned(purl))
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
    lineage_rows = {e[0] for e in edges if e[2] == 1}
    focus = [index[p] for p in important if p in index and index[p] in lineage_rows]
    return {
        "rows": rows,
        "extra": list(extra),
        "edges": [list(e) for e in edges],
        "focus": focus[:FOCUS_MODELS],
    }
