"""The provenance graph's vocabulary, and its construction from one scan.

The vocabulary is closed (see the design's "The provenance graph"): node kinds `NodeKind`,
edge kinds `EdgeKind`, node ids `<kind>:<value>` (`component:pkg:pypi/requests@2.32.3`,
`target:<identity>`, `country:CN` …). Every edge keeps the evidence behind it in an
`EdgeInfo`. `build_graph` makes the `Adjacency` (networkx's `DiGraph` layout in plain dicts)
that `ProvenanceGraph` (`auditor.graph.queries`) answers questions on: its edge data maps each
edge kind present between two nodes to its `EdgeInfo`. At 100,000 components a
MultiDiGraph's extra dict per edge costs memory and makes path searches see parallel edges
twice.

Decisions callers can rely on:
- A dependency source that is not in the inventory (a lockfile's own project) becomes a
  component node with `root=True`, contained by the targets holding its dependencies.
- A component whose locations name no scanned target is contained by every target.
- `operated_by` runs from the publisher and repository nodes to the organisation; a component
  with an organisation but neither gets the edge itself. Likewise `located_in` runs from the
  organisation, else from the component.
- A lineage root named only by an origin (`Origin.roots`) and absent from the dependencies
  becomes an `external` component node joined by `derived_from`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum, unique
from typing import TYPE_CHECKING, Any

from auditor.bulk import no_cyclic_gc
from auditor.model import (
    Claim,
    Component,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Origin,
    Scan,
    Strength,
    Target,
)
from auditor.urls import normalise_repository

if TYPE_CHECKING:
    import networkx as nx


@unique
class NodeKind(StrEnum):
    """What a node stands for."""

    TARGET = "target"
    COMPONENT = "component"
    PUBLISHER = "publisher"
    REPOSITORY = "repository"
    ORGANISATION = "organisation"
    COUNTRY = "country"


@unique
class EdgeKind(StrEnum):
    """What an edge states."""

    CONTAINS = "contains"
    DEPENDS_ON = "depends_on"
    DERIVED_FROM = "derived_from"
    PUBLISHED_BY = "published_by"
    BUILT_FROM = "built_from"
    CLAIMS_REPOSITORY = "claims_repository"
    OPERATED_BY = "operated_by"
    LOCATED_IN = "located_in"


CHAIN_KINDS = (EdgeKind.DEPENDS_ON, EdgeKind.DERIVED_FROM)
"""The edges that explain why a component is present, after the target's `contains`."""


@dataclass(frozen=True, slots=True)
class EdgeInfo:
    """One edge's meaning and justification."""

    kind: EdgeKind
    strength: Strength | None = None
    """The support of the origin claim behind the edge; None for collected structure."""
    claim: str | None = None
    """The claimed value (publisher, repository …) for edges made from an origin."""
    pool: tuple[Evidence, ...] = ()
    """The evidence the claim was chosen from; `evidence` is the part of it behind the edge
    (filtered on access: building 100,000 origins' worth of edges stays cheap)."""
    locations: tuple[Location, ...] = ()
    """For `contains`: where in the target the component was found."""
    scope: str | None = None
    marker: str | None = None
    note: str | None = None
    """Why an edge was inferred rather than read (a project root's target, say)."""

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The evidence behind this edge: the pool's items stating the claimed value, else
        those of the claim's strength."""
        if self.claim is None:
            return self.pool
        want = self.claim.casefold()
        url = self.kind in (EdgeKind.BUILT_FROM, EdgeKind.CLAIMS_REPOSITORY)
        same = tuple(
            e
            for e in self.pool
            if e.value.casefold() == want
            or (url and (normalise_repository(e.value) or "").casefold() == want)
        )
        return same or tuple(e for e in self.pool if e.strength is self.strength)


@dataclass(frozen=True, slots=True)
class Edge:
    """A typed edge: `source` and `target` are node ids."""

    source: str
    target: str
    info: EdgeInfo

    @property
    def kind(self) -> EdgeKind:
        """The edge's kind."""
        return self.info.kind


@dataclass(frozen=True, slots=True)
class Node:
    """A typed node; `value` is what follows `<kind>:` in its id."""

    id: str
    kind: NodeKind
    value: str
    component: Component | None = None
    origin: Origin | None = None
    target: Target | None = None
    root: bool = False
    """A project named by a lockfile as a dependency source, not itself in the inventory."""
    external: bool = False
    """A component named by a dependency or lineage but not itself in the inventory."""

    @property
    def label(self) -> str:
        """Short human text: the target's ref, the purl, or the value."""
        return self.target.ref if self.target is not None else self.value


_PREFIX = {kind: f"{kind.value}:" for kind in NodeKind}


def node_id(kind: NodeKind, value: str) -> str:
    """The id of the `kind` node for `value`."""
    return _PREFIX[kind] + value


def component_id(purl: str) -> str:
    """The id of a component node."""
    return f"component:{purl}"


class Adjacency:
    """A directed graph stored as networkx's `DiGraph` stores one (`nodes`: id → attribute
    dict; `succ`/`pred`: id → neighbour → edge data), without networkx.

    Why not a `DiGraph`: importing networkx costs about 70 ms, a fifth of `auditor why` or
    `show` on a stored 1,000-model scan, and the queries those answer are plain walks over
    these dicts. What needs networkx's algorithms (`focus`, the graph exports) converts with
    `to_networkx`.
    """

    __slots__ = ("nodes", "pred", "succ")

    def __init__(
        self,
        nodes: dict[str, dict[str, Any]] | None = None,
        succ: dict[str, dict[str, dict[str, EdgeInfo]]] | None = None,
        pred: dict[str, dict[str, dict[str, EdgeInfo]]] | None = None,
    ) -> None:
        self.nodes: dict[str, dict[str, Any]] = {} if nodes is None else nodes
        self.succ: dict[str, dict[str, dict[str, EdgeInfo]]] = {} if succ is None else succ
        self.pred: dict[str, dict[str, dict[str, EdgeInfo]]] = {} if pred is None else pred

    def __contains__(self, nid: object) -> bool:
        return nid in self.nodes

    def edges(self) -> Iterator[tuple[str, str, dict[str, EdgeInfo]]]:
        """Every (source, target, edge data), sources in insertion order."""
        for u, out in self.succ.items():
            for v, data in out.items():
                yield u, v, data

    def to_networkx(self) -> nx.DiGraph[str]:
        """The same graph as a networkx `DiGraph`, sharing the attribute and edge dicts
        (read-only use: networkx's algorithms copy what they return)."""
        import networkx as nx

        g: nx.DiGraph[str] = nx.DiGraph()
        # The layout the DiGraph docstring documents for subclasses; filled directly,
        # since add_edges_from takes seconds at 500,000 edges.
        g._node.update(self.nodes)
        g._succ.update(self.succ)
        g._pred.update(self.pred)
        return g

    @classmethod
    def from_networkx(cls, g: nx.DiGraph[str]) -> Adjacency:
        """The adjacency of a networkx `DiGraph` laid out as `to_networkx` lays it."""
        return cls(dict(g._node), dict(g._succ), dict(g._pred))


def build_graph(scan: Scan, lineage_only: bool = False) -> tuple[Adjacency, set[str]]:
    """The graph of `scan` (see the module docstring for the rules), and the nodes with a
    `derived_from` edge out.

    `lineage_only` builds just the components and their `derived_from` edges: all that
    `origins` needs, a fraction of the work on a scan with 200,000 dependency edges.
    """
    g = Adjacency()
    builder = _Builder(scan, g)
    with no_cyclic_gc():
        if lineage_only:
            builder.lineage()
        else:
            builder.build()
    return g, builder.derives


def node_of(nid: str, data: dict[str, Any]) -> Node:
    """The typed node for id `nid` and its attribute dict."""
    kind: NodeKind = data["kind"]
    return Node(
        id=nid,
        kind=kind,
        value=nid[len(_PREFIX[kind]) :],
        component=data.get("component"),
        origin=data.get("origin"),
        target=data.get("target"),
        root=data.get("root", False),
        external=data.get("external", False),
    )


class _Builder:
    """One pass over a Scan.

    It fills the `Adjacency` dicts directly: at 100,000 components and 500,000 edges
    networkx's `add_edges_from` took about 1.6x as long, with the build budget at 3 s.
    Ids are made once per purl so each string's hash is computed once.
    """

    def __init__(self, scan: Scan, g: Adjacency) -> None:
        self.scan = scan
        self.nodes = g.nodes
        self.succ = g.succ
        self.pred = g.pred
        self.refs: dict[str, str] = {}
        self.cids: dict[str, str] = {}
        self.made: dict[tuple[NodeKind, str], str] = {}
        self.derives: set[str] = set()

    def node(self, nid: str, attrs: dict[str, Any]) -> None:
        if nid not in self.nodes:
            self.nodes[nid] = attrs
            self.succ[nid] = {}
            self.pred[nid] = {}

    def edge(self, u: str, v: str, info: EdgeInfo) -> None:
        out = self.succ[u]
        data = out.get(v)
        if data is None:
            data = out[v] = {}
            self.pred[v][u] = data
        # Keys are the EdgeKind members: StrEnum hashes and compares as its text, and
        # reading `.value` costs an enum descriptor call (seconds at 500,000 edges).
        data[info.kind] = info
        if info.kind is EdgeKind.DERIVED_FROM:
            self.derives.add(u)

    def build(self) -> None:
        scan = self.scan
        for t in scan.targets:
            tid = node_id(NodeKind.TARGET, t.identity)
            self.node(tid, {"kind": NodeKind.TARGET, "target": t})
            self.refs.setdefault(t.ref, tid)
        origins = scan.origins_by_purl()
        for c in scan.components:
            cid = self.cids[c.purl] = "component:" + c.purl
            self.node(
                cid, {"kind": NodeKind.COMPONENT, "component": c, "origin": origins.get(c.purl)}
            )
        every = list(dict.fromkeys(self.refs.values()))
        for c in scan.components:
            self._contains(c, every)
        self._dependencies(scan.dependencies, every)
        for origin in scan.origins:
            known = self.cids.get(origin.purl)
            if known is not None:
                self._origin(origin, known)

    def lineage(self) -> None:
        """Components and `derived_from` edges only."""
        for c in self.scan.components:
            cid = self.cids[c.purl] = "component:" + c.purl
            self.node(cid, {"kind": NodeKind.COMPONENT, "component": c})
        lineage = tuple(d for d in self.scan.dependencies if d.kind is DependencyKind.DERIVED_FROM)
        self._dependencies(lineage, [])

    def _cid(self, purl: str, flag: str) -> str:
        cid = self.cids.get(purl)
        if cid is None:
            cid = self.cids[purl] = "component:" + purl
            self.node(cid, {"kind": NodeKind.COMPONENT, flag: True})
        return cid

    def _contains(self, c: Component, every: list[str]) -> None:
        cid = self.cids[c.purl]
        refs = {loc.target for loc in c.locations}
        held = [r for r in refs if r in self.refs]
        if len(held) == 1 and len(refs) == 1:  # the common case: one target, one info
            self.edge(self.refs[held[0]], cid, EdgeInfo(EdgeKind.CONTAINS, locations=c.locations))
            return
        for ref in held:
            locs = tuple(loc for loc in c.locations if loc.target == ref)
            self.edge(self.refs[ref], cid, EdgeInfo(EdgeKind.CONTAINS, locations=locs))
        if not held:
            note = "the inventory does not say which target holds it"
            info = EdgeInfo(EdgeKind.CONTAINS, locations=c.locations, note=note)
            for tid in every:
                self.edge(tid, cid, info)

    def _dependencies(self, deps: tuple[Dependency, ...], every: list[str]) -> None:
        shared: dict[tuple[str, str | None, str | None], EdgeInfo] = {}
        roots: dict[str, set[str]] = {}
        targets = set(every)
        for d in deps:
            src = self.cids.get(d.source) or self._cid(d.source, "root")
            dst = self.cids.get(d.target) or self._cid(d.target, "external")
            key = (d.kind, d.scope, d.marker)
            info = shared.get(key)
            if info is None:  # most edges are alike: share their info (memory at 200,000)
                info = shared[key] = EdgeInfo(EdgeKind(d.kind), scope=d.scope, marker=d.marker)
            self.edge(src, dst, info)
            if self.nodes[src].get("root"):
                roots.setdefault(src, set()).add(dst)
        for root, dsts in roots.items():
            holders = sorted({u for v in dsts for u in self.pred[v] if u in targets})
            note = "project named by the lockfile; its dependencies are found in this target"
            if not holders:
                note = "project named by the lockfile; which target holds it is not recorded"
            info = EdgeInfo(EdgeKind.CONTAINS, note=note)
            for tid in holders or every:
                self.edge(tid, root, info)

    def _origin(self, o: Origin, cid: str) -> None:
        owners: list[str] = []
        if o.publisher is not None:
            owners.append(self._claim(cid, EdgeKind.PUBLISHED_BY, o.publisher, o.evidence))
        if o.repository is not None:
            attested = o.repository.strength is Strength.ATTESTED
            kind = EdgeKind.BUILT_FROM if attested else EdgeKind.CLAIMS_REPOSITORY
            owners.append(self._claim(cid, kind, o.repository, o.evidence))
        placed = cid
        if o.organisation is not None:
            for owner in owners or [cid]:
                placed = self._claim(owner, EdgeKind.OPERATED_BY, o.organisation, o.evidence)
        if o.country is not None:
            self._claim(placed, EdgeKind.LOCATED_IN, o.country, o.evidence)
        if o.roots:
            self._roots(o, cid)

    def _roots(self, o: Origin, cid: str) -> None:
        for r in o.roots:
            if r.purl == o.purl or r.purl in self.cids:
                continue  # the lineage is already in the graph from the dependencies
            rid = self._cid(r.purl, "external")
            note = f"lineage root named by the origin ({r.relation})"
            self.edge(cid, rid, EdgeInfo(EdgeKind.DERIVED_FROM, note=note))
            placed = rid
            if r.organisation:
                placed = self._target_node(NodeKind.ORGANISATION, r.organisation)
                self.edge(rid, placed, EdgeInfo(EdgeKind.OPERATED_BY, note=note))
            if r.country:
                country = self._target_node(NodeKind.COUNTRY, r.country)
                self.edge(placed, country, EdgeInfo(EdgeKind.LOCATED_IN, note=note))

    def _target_node(self, kind: NodeKind, value: str) -> str:
        nid = self.made.get((kind, value))
        if nid is None:  # publishers, organisations and countries repeat: make each id once
            nid = self.made[kind, value] = node_id(kind, value)
            self.node(nid, {"kind": kind})
        return nid

    def _claim(self, u: str, kind: EdgeKind, claim: Claim, pool: tuple[Evidence, ...]) -> str:
        """Add the edge for `claim` from `u`; returns the claimed value's node id."""
        v = self._target_node(_CLAIM_NODE[kind], claim.value)
        known = self.succ[u].get(v)
        if known is None or kind not in known:  # shared (publisher -> org): first wins
            self.edge(u, v, EdgeInfo(kind, claim.strength, claim.value, pool))
        return v


_CLAIM_NODE = {
    EdgeKind.PUBLISHED_BY: NodeKind.PUBLISHER,
    EdgeKind.BUILT_FROM: NodeKind.REPOSITORY,
    EdgeKind.CLAIMS_REPOSITORY: NodeKind.REPOSITORY,
    EdgeKind.OPERATED_BY: NodeKind.ORGANISATION,
    EdgeKind.LOCATED_IN: NodeKind.COUNTRY,
}
