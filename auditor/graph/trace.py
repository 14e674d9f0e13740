"""The one answer to "which organisations and countries does this component trace to, and
through which path". Every view asks it here: the table summary, `show`, `origins`, `why`,
JSON `roots`, the HTML report, Markdown, CycloneDX, SPDX and `check-models`.

A component with lineage (`derived_from` edges: declared by the files on disk, or computed by
the Hub) traces to the end of every chain; one without traces to itself. A root's
organisation and country come from, in order: its own origin when the root is in the
inventory (a cached base model), else the `Root` a resolver named for it. A re-packager (a
quantiser) stays the publisher; the roots say whose weights they are.

A hosted AI service traces to its operator (itself) and, when the model it names belongs to
a known lab, to that lab too: a `model-lab` root the ai-service resolver names
(`auditor/resolvers/ai_service.py`). Both answers stand: the operator receives the data, the
lab made the weights, so DeepSeek's model served by a US operator traces to the US and CN.

`Tracer(scan)` indexes the scan once (plain dicts, no networkx) and memoises each answer,
so a view asking about every component of a large scan walks each chain once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from auditor.model import (
    MODEL_LAB,
    SELF_HOSTED_ROW,
    SELF_ROOT,
    Claim,
    Component,
    DependencyKind,
    Evidence,
    Origin,
    PublisherKind,
    Root,
    Scan,
    Strength,
)

MAX_HOPS = 32
"""Lineage deeper than this is cut (the Hub walk stops at 8; a loop in declared files)."""
SELF = SELF_ROOT
HUB = "pkg:huggingface/"
COPY = "copy"
"""A file's bytes are another's (auditor.known_files): the hop is as strong as the hash-index
evidence behind it, and the path through it is shown before any other to the same root."""


@dataclass(frozen=True, slots=True)
class Hop:
    """`child` derives from `parent`, and how strongly that is supported."""

    child: str
    parent: str
    relation: str | None
    strength: Strength
    """`registry` when the Hub computed it (`baseModels`), `declared` when a file said so."""


@dataclass(frozen=True, slots=True)
class Source:
    """One organisation/country a component traces to, and the path there."""

    root: str
    """The purl at the end of the chain (the component itself when it has no lineage)."""
    relation: str
    """`self`, or the component's relation to its first base (`quantized`, `finetune` …)."""
    path: tuple[Hop, ...]
    """Component → … → root; () for `self`."""
    organisation: str | None
    country: str | None
    strength: Strength | None
    """What supports organisation/country (see `Root.strength`); None when unknown."""
    retrieved_at: str | None
    """When the registry answer behind it was fetched; None for files read now."""
    licence: str | None = None
    """The root's licence (SPDX, or `LicenseRef-<hub id>`): a derived model's weights are
    the root's, under its terms."""

    @property
    def purls(self) -> tuple[str, ...]:
        """The path as purls, the component first, the root last."""
        if not self.path:
            return (self.root,)
        return (self.path[0].child, *(h.parent for h in self.path))

    def as_root(self) -> Root:
        """The stored/JSON shape of this answer."""
        return Root(
            self.root,
            self.relation,
            self.organisation,
            self.country,
            self.strength,
            self.retrieved_at,
            self.licence,
        )


@dataclass(frozen=True, slots=True)
class Trace:
    """Every source one component traces to (several for a merge)."""

    purl: str
    sources: tuple[Source, ...]

    @property
    def organisations(self) -> tuple[str, ...]:
        """Distinct known organisations, in source order."""
        return tuple(dict.fromkeys(s.organisation for s in self.sources if s.organisation))

    @property
    def countries(self) -> tuple[str, ...]:
        """Distinct known countries, in source order."""
        return tuple(dict.fromkeys(s.country for s in self.sources if s.country))

    @property
    def derived(self) -> bool:
        """True when the component traces through lineage, not only to itself."""
        return any(s.relation != SELF for s in self.sources)

    def values(self, facet: str) -> tuple[str | None, ...]:
        """The facet's values (`country`, `organisation`); None stands for unknown, once."""
        found = tuple(dict.fromkeys(getattr(s, facet) for s in self.sources))
        return found or (None,)

    def summary(self) -> str:
        """`Alibaba Group (CN) via a -quantized-> b -> c [registry, fetched …]`: one line."""
        return "; ".join(describe(s) for s in self.sources) or "unknown"


def rolled_up(source: Source, facet: str, origin: Origin | None) -> str | None:
    """The value a roll-up counts `source` under for `facet` (`country`, `organisation`):
    its own, or `self-hosted` for a self-hosted service's own answer (the target runs the
    endpoint: an answer of its own, not unknown). Every roll-up (the table summary, the HTML
    charts, `origins`, the portfolio) asks here."""
    value: str | None = getattr(source, facet)
    if (value is None and source.relation == SELF and origin is not None
            and origin.publisher_kind is PublisherKind.SELF_HOSTED):  # fmt: skip
        return SELF_HOSTED_ROW
    return value


def answered(trace: Trace, facet: str, origin: Origin | None) -> tuple[str, ...]:
    """The known values of `facet` a component traces to, as the roll-ups count them
    (`rolled_up`): what the inventory rows of the reports show."""
    found = (rolled_up(s, facet, origin) for s in trace.sources)
    return tuple(dict.fromkeys(v for v in found if v))


def describe(source: Source) -> str:
    """One source as text: organisation (country), the path, and its strength and age."""
    who = source.organisation or "organisation unknown"
    where = source.country or "country unknown"
    text = f"{who} ({where})"
    if source.path:
        text += " via " + chain_text(source)
    support = []
    if source.strength is not None:
        support.append(source.strength.value)
    if source.retrieved_at:
        support.append(f"fetched {source.retrieved_at}")
    return text + (f" [{', '.join(support)}]" if support else "")


def chain_text(source: Source) -> str:
    """`child -quantized-> parent -finetune-> root`, declared hops marked."""
    if not source.path:
        return source.root
    parts = [source.path[0].child]
    for hop in source.path:
        label = hop.relation or "derived"
        if hop.strength is not Strength.REGISTRY:
            label += f", {hop.strength.value}"
        parts.append(f" -{label}-> {hop.parent}")
    return "".join(parts)


def unversioned(purl: str) -> str:
    """A Hub purl without its revision: the id a base model is named by."""
    if not purl.startswith(HUB):
        return purl
    path, _, query = purl.partition("?")
    path = path.partition("@")[0]
    return path + (f"?{query}" if query else "")


def repo_id(purl: str) -> str:
    """`org/name` of a Hub purl (the form `lineage.edge` evidence uses)."""
    return unquote(unversioned(purl)[len(HUB) :].partition("?")[0])


class Tracer:
    """Answers `trace(purl)` for one scan; build once per view, ask as often as needed."""

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        self._origins = scan.origins_by_purl()
        self._components: dict[str, Component] = {c.purl: c for c in scan.components}
        self._bases: dict[str, list[tuple[str, str | None]]] = {}
        for d in scan.dependencies:
            if d.kind is DependencyKind.DERIVED_FROM and d.source != d.target:
                bases = self._bases.setdefault(d.source, [])
                if all(b != d.target for b, _ in bases):
                    bases.append((d.target, d.scope))
        # A base is named without a revision; the inventory holds the cached revision.
        self._revisions: dict[str, str] = {}
        for c in scan.components:
            if c.purl.startswith(HUB):
                self._revisions.setdefault(unversioned(c.purl), c.purl)
        self._named: dict[str, Root] = {}
        self._hops: dict[tuple[str, str], tuple[str | None, Strength]] = {}
        for o in scan.origins:
            for r in o.roots:
                if r.relation not in (SELF, MODEL_LAB):
                    key = unversioned(r.purl)
                    known = self._named.get(key)
                    if known is None or _rank(r.strength) > _rank(known.strength):
                        self._named[key] = r
            for e in o.evidence:
                if e.field == "lineage.edge":
                    child, _, rest = e.value.partition(" -")
                    relation, _, parent = rest.partition("-> ")
                    pair = (child.casefold(), parent.casefold())
                    if pair not in self._hops or e.strength.rank > self._hops[pair][1].rank:
                        self._hops[pair] = (relation or None, e.strength)
        self._copies: dict[str, Strength] = {}
        for c in scan.components:
            for e in c.evidence:
                if (
                    e.source == "hash-index"
                    and e.strength.rank > self._copies.get(c.purl, Strength.DECLARED).rank
                ):
                    self._copies[c.purl] = e.strength
        self._licences = _root_licences(scan)
        self._memo: dict[str, Trace] = {}

    def trace(self, purl: str) -> Trace:
        """Where `purl` comes from: its lineage roots, or itself."""
        found = self._memo.get(purl)
        if found is None:
            found = self._memo[purl] = Trace(purl, tuple(self._sources(purl)))
        return found

    def origin(self, purl: str) -> Origin | None:
        """The origin of `purl`, or of the cached revision a base id names."""
        return self._origins.get(self._canonical(purl))

    def _canonical(self, purl: str) -> str:
        if purl in self._components:
            return purl
        return self._revisions.get(unversioned(purl), purl)

    def _parents(self, purl: str) -> list[tuple[str, str | None]]:
        canonical = self._canonical(purl)
        found = list(self._bases.get(canonical, ()))
        if canonical != purl:
            found += [b for b in self._bases.get(purl, ()) if b not in found]
        return found

    def _sources(self, purl: str) -> Iterator[Source]:
        yield from self._lineage_sources(purl)
        origin = self.origin(purl)
        for r in origin.roots if origin else ():
            if r.relation == MODEL_LAB:  # in addition to the operator, never instead
                hop = Hop(purl, r.purl, MODEL_LAB, r.strength or Strength.INFERRED)
                yield Source(r.purl, MODEL_LAB, (hop,), r.organisation, r.country, r.strength,
                             r.retrieved_at)  # fmt: skip

    def _lineage_sources(self, purl: str) -> Iterator[Source]:
        paths = list(self._paths(purl))
        if not paths:
            origin = self.origin(purl)
            named = [r for r in (origin.roots if origin else ())
                     if r.relation not in (SELF, MODEL_LAB)]  # fmt: skip
            if named:  # a stored scan whose lineage edges were not kept
                for r in named:
                    hop = Hop(purl, r.purl, r.relation, r.strength or Strength.DECLARED)
                    yield self._source(r.purl, r.relation, (hop,))
                return
            yield self._source(purl, SELF, ())
            return
        seen: set[str] = set()
        for path in sorted(paths, key=lambda p: (p[0].relation != COPY, len(p))):
            end = unversioned(self._canonical(path[-1].parent))
            if end not in seen:
                seen.add(end)
                yield self._source(path[-1].parent, path[0].relation or "derived", path)

    def _paths(self, purl: str) -> Iterator[tuple[Hop, ...]]:
        """Every simple chain from `purl` to a model with no base (depth-first, bounded)."""
        stack: list[tuple[str, tuple[Hop, ...], frozenset[str]]] = [
            (purl, (), frozenset({unversioned(self._canonical(purl))}))
        ]
        while stack:
            node, path, on_path = stack.pop()
            parents = self._parents(node)
            if not parents or len(path) >= MAX_HOPS:
                if path:
                    yield path
                continue
            for parent, relation in reversed(parents):
                key = unversioned(self._canonical(parent))
                if key in on_path:
                    if path:
                        yield path  # a loop: the chain ends where it would repeat
                    continue
                hop = self._hop(node, parent, relation)
                stack.append((parent, (*path, hop), on_path | {key}))

    def _hop(self, child: str, parent: str, relation: str | None) -> Hop:
        if relation == COPY:
            return Hop(child, parent, relation, self._copies.get(child, Strength.DECLARED))
        computed = self._hops.get((repo_id(child).casefold(), repo_id(parent).casefold()))
        if computed is not None:
            return Hop(child, parent, relation or computed[0], computed[1])
        return Hop(child, parent, relation, Strength.DECLARED)

    def _source(self, root: str, relation: str, path: tuple[Hop, ...]) -> Source:
        known = self._components.get(self._canonical(root))
        licence = (known.license if known else None) or self._licences.get(unversioned(root))
        origin = self.origin(root)
        if origin is not None and (origin.organisation or origin.country):
            claim = origin.country or origin.organisation
            strength = claim.strength if claim else None
            return Source(root, relation, path, _value(origin.organisation),
                          _value(origin.country), strength, _fetched(origin, strength),
                          licence)  # fmt: skip
        named = self._named.get(unversioned(root))
        if named is not None:
            return Source(root, relation, path, named.organisation, named.country,
                          named.strength, named.retrieved_at, licence)  # fmt: skip
        return Source(root, relation, path, None, None, None, None, licence)


def _root_licences(scan: Scan) -> dict[str, str]:
    """Lineage roots' licences as the Hub resolver recorded them (`lineage.root.cardData.*`,
    keyed by the root document's `where`)."""
    from auditor.licences import from_evidence

    found: dict[str, str] = {}
    for o in scan.origins:
        roots = {e.where: e.value for e in o.evidence if e.field == "lineage.root"}
        for where, root in roots.items():
            key = f"{HUB}{root}"
            if key in found:
                continue
            card = [
                Evidence(e.source, e.field.removeprefix("lineage.root."), e.value, e.where,
                         e.strength)
                for e in o.evidence
                if e.where == where and e.field.startswith("lineage.root.cardData.")
            ]  # fmt: skip
            licence = from_evidence(card)
            if licence:
                found[key] = licence
    return found


def _value(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value


def _rank(strength: Strength | None) -> int:
    return 0 if strength is None else strength.rank


def _fetched(origin: Origin, strength: Strength | None) -> str | None:
    """The fetch time of the newest registry answer behind a registry-strength claim."""
    if strength is not Strength.REGISTRY:
        return None
    times = [
        e.retrieved_at
        for e in origin.evidence
        if e.retrieved_at and e.strength is Strength.REGISTRY and e.source != "knowledge-base"
    ]
    return max(times) if times else None
