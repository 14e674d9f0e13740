"""The questions a provenance graph answers: why a component is present, where the
inventory's components trace to, and typed access to nodes and edges.

`ProvenanceGraph` wraps the `Adjacency` `auditor.graph.build` makes. Callers (rules,
reports, the CLI) use its typed helpers only; networkx (for `focus`) stays inside
`auditor.graph` and `auditor.graph_render`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise

from auditor.bulk import no_cyclic_gc
from auditor.graph.build import (
    Adjacency,
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    build_graph,
    component_id,
    node_of,
)
from auditor.graph.trace import SELF, Tracer, rolled_up
from auditor.model import (
    INDIVIDUAL_MAINTAINERS,
    Claim,
    Component,
    ComponentKind,
    Evidence,
    Origin,
    PublisherKind,
    Scan,
)

PACKAGE_KINDS = frozenset(
    {ComponentKind.LIBRARY, ComponentKind.OS_PACKAGE, ComponentKind.APPLICATION}
)
MODEL_KINDS = frozenset({ComponentKind.MODEL, ComponentKind.DATASET, ComponentKind.WEIGHTS})
SERVICE_KINDS = frozenset({ComponentKind.SERVICE})
"""Hosted AI services: counted apart from packages and models (neither installed nor run here)."""
FACETS = ("country", "organisation", "publisher", "repository")
"""What `origins` can group by."""


@dataclass(frozen=True, slots=True)
class Why:
    """Paths from targets to one component, shortest first."""

    purl: str
    paths: tuple[tuple[Edge, ...], ...]
    more: int
    """Paths found beyond those kept."""
    exhausted: bool
    """True when the search stopped at its budget, so `more` is a lower bound."""
    found_in: tuple[Edge, ...]
    """The `contains` edges of the component itself: where each target lists it."""


@dataclass(frozen=True, slots=True)
class Traced:
    """One component in an origins group, and through what it traces there."""

    component: Component
    via: tuple[str, ...]
    """`origin` for the component's own origin, else the lineage root purls."""


@dataclass(frozen=True, slots=True)
class OriginGroup:
    """The components that trace to one value (None: to no known value)."""

    value: str | None
    members: tuple[Traced, ...]

    @property
    def total(self) -> int:
        """Components in the group."""
        return len(self.members)

    def count(self, test: Callable[[Component], bool]) -> int:
        """Members whose component passes `test`."""
        return sum(1 for m in self.members if test(m.component))

    @property
    def direct(self) -> int:
        """Members some target asks for itself."""
        return self.count(lambda c: c.direct is True)

    @property
    def transitive(self) -> int:
        """Members known to be only dependencies of dependencies."""
        return self.count(lambda c: c.direct is False)

    @property
    def packages(self) -> int:
        """Libraries, OS packages and applications."""
        return self.count(lambda c: c.kind in PACKAGE_KINDS)

    @property
    def models(self) -> int:
        """Models, datasets and loose weights."""
        return self.count(lambda c: c.kind in MODEL_KINDS)

    @property
    def services(self) -> int:
        """Hosted AI services the code calls."""
        return self.count(lambda c: c.kind in SERVICE_KINDS)


class ProvenanceGraph:
    """The nodes and evidenced edges of one scan; build with `from_scan`."""

    def __init__(self, scan: Scan, graph: Adjacency, derives: set[str] | None = None) -> None:
        self.scan = scan
        self._g = graph
        if derives is None:
            derives = {u for u, _, d in graph.edges() if EdgeKind.DERIVED_FROM in d}
        self._derives = derives
        """Nodes with a `derived_from` edge out: the only ones whose lineage needs a walk."""
        self._ends: dict[str, list[str]] = {}

    @classmethod
    def from_scan(cls, scan: Scan, lineage_only: bool = False) -> ProvenanceGraph:
        """Build the graph of `scan` (`auditor.graph.build`); `lineage_only` builds just the
        components and their `derived_from` edges, all that `origins` needs."""
        graph, derives = build_graph(scan, lineage_only)
        return cls(scan, graph, derives)

    # --- typed access -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._g.nodes)

    def edge_count(self) -> int:
        """Edges of every kind (two kinds between one pair count twice)."""
        return sum(len(data) for _, _, data in self._g.edges())

    def node(self, nid: str) -> Node:
        """The node with id `nid`; KeyError when absent."""
        return node_of(nid, self._g.nodes[nid])

    def nodes(self, kind: NodeKind | None = None) -> Iterator[Node]:
        """Every node, or those of one kind."""
        for nid, data in self._g.nodes.items():
            if kind is None or data["kind"] is kind:
                yield node_of(nid, data)

    def edges(self, kind: EdgeKind | None = None) -> Iterator[Edge]:
        """Every edge, or those of one kind."""
        for u, v, data in self._g.edges():
            for info in data.values():
                if kind is None or info.kind is kind:
                    yield Edge(u, v, info)

    def out_edges(self, nid: str, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        """Edges leaving `nid` (of `kinds` when given)."""
        wanted = None if kinds is None else set(kinds)
        for v, data in self._g.succ[nid].items():
            for info in data.values():
                if wanted is None or info.kind in wanted:
                    yield Edge(nid, v, info)

    def in_edges(self, nid: str, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        """Edges arriving at `nid` (of `kinds` when given)."""
        wanted = None if kinds is None else set(kinds)
        for u, data in self._g.pred[nid].items():
            for info in data.values():
                if wanted is None or info.kind in wanted:
                    yield Edge(u, nid, info)

    def has_component(self, purl: str) -> bool:
        """True when `purl` is a node (inventory, project root or lineage root)."""
        return component_id(purl) in self._g

    def component(self, purl: str) -> Component | None:
        """The inventory entry for `purl`; None for roots and absent purls."""
        data = self._g.nodes.get(component_id(purl))
        return None if data is None else data.get("component")

    def components(self) -> Iterator[Component]:
        """The scan's inventory, in its order."""
        return iter(self.scan.components)

    def origin(self, purl: str) -> Origin | None:
        """The origin verdict for `purl`, if the scan has one."""
        data = self._g.nodes.get(component_id(purl))
        return None if data is None else data.get("origin")

    def evidence(self, purl: str) -> tuple[Evidence, ...]:
        """Every piece of evidence on `purl`: the collector's, then the origin's."""
        component, origin = self.component(purl), self.origin(purl)
        found = (component.evidence if component else ()) + (origin.evidence if origin else ())
        return tuple(dict.fromkeys(found))

    def base_models(self, purl: str) -> tuple[str, ...]:
        """Alias of `bases`: the models `purl` derives from directly."""
        return self.bases(purl)

    def dependencies(self, purl: str) -> tuple[str, ...]:
        """Purls `purl` depends on directly."""
        return self._purls(self.out_edges(component_id(purl), (EdgeKind.DEPENDS_ON,)), "target")

    def dependents(self, purl: str) -> tuple[str, ...]:
        """Purls that depend on `purl` directly."""
        return self._purls(self.in_edges(component_id(purl), (EdgeKind.DEPENDS_ON,)), "source")

    def bases(self, purl: str) -> tuple[str, ...]:
        """The models `purl` is derived from directly."""
        return self._purls(self.out_edges(component_id(purl), (EdgeKind.DERIVED_FROM,)), "target")

    def lineage_roots(self, purl: str) -> tuple[str, ...]:
        """The ends of every `derived_from` chain from `purl` (several for a merge)."""
        return tuple(n[len("component:") :] for n in self._chain_ends(component_id(purl)))

    def derivatives(self, base: str) -> tuple[str, ...]:
        """Every model derived from `base`, directly or through other derivatives."""
        seen = self._walk(component_id(base), forward=False, kind=EdgeKind.DERIVED_FROM)
        return tuple(sorted(n[len("component:") :] for n in seen))

    def reachable(self, purl: str, kind: str) -> tuple[str, ...]:
        """Purls reached from `purl` along `kind` edges (`depends_on`, `derived_from`) at any
        depth: what it needs, or every model it descends from (policy's graph predicates)."""
        seen = self._walk(component_id(purl), forward=True, kind=EdgeKind(kind))
        return tuple(sorted(n[len("component:") :] for n in seen if n.startswith("component:")))

    def suggest(self, text: str, limit: int = 5) -> tuple[str, ...]:
        """Inventory purls whose name is `text`'s name or spelled like it."""
        import difflib

        def name_of(purl: str) -> str:
            return purl.partition("?")[0].rpartition("/")[2].partition("@")[0].lower()

        by_name: dict[str, list[str]] = {}
        for c in self.scan.components:
            by_name.setdefault(name_of(c.purl), []).append(c.purl)
        close = difflib.get_close_matches(name_of(text), list(by_name), n=limit, cutoff=0.75)
        return tuple(p for name in close for p in by_name[name])[:limit]

    def focus(self, purl: str, depth: int) -> ProvenanceGraph:
        """The nodes within `depth` edges of `purl`, either direction, with their edges."""
        import networkx as nx

        centre = component_id(purl)
        if centre not in self._g:
            raise KeyError(purl)
        near = nx.ego_graph(self._g.to_networkx(), centre, radius=depth, undirected=True)
        return ProvenanceGraph(self.scan, Adjacency.from_networkx(near))

    def _purls(self, edges: Iterable[Edge], end: str) -> tuple[str, ...]:
        return tuple(sorted(getattr(e, end)[len("component:") :] for e in edges))

    # --- why ----------------------------------------------------------------------------

    def why(self, purl: str, limit: int = 50, max_depth: int = 64, budget: int = 5_000) -> Why:
        """Paths target → … → `purl` along `contains`, `depends_on` and `derived_from`.

        A path enters at an *entry*: a contained node that is a project root, direct, or
        depended on by nothing. Cycles are real (npm), so paths are simple and the search is
        bounded by `max_depth` hops and `budget` node visits. KeyError for an absent purl.
        """
        goal = component_id(purl)
        if goal not in self._g:
            raise KeyError(purl)
        chains: list[list[str]] = []
        shortest = self._shortest_chain(goal, max_depth)
        if shortest is not None:
            chains.append(shortest)
        found, exhausted = self._all_chains(goal, limit, max_depth, budget, chains)
        paths = [self._path_edges(c) for c in chains]
        found_in = tuple(self.in_edges(goal, (EdgeKind.CONTAINS,)))
        if not paths:
            # A cycle no entry reaches: the component is still listed where it was found.
            paths = [(e,) for e in found_in]
            found = len(paths)
        paths.sort(key=lambda p: (len(p), [e.target for e in p]))
        kept = tuple(paths[:limit])
        return Why(purl, kept, max(found - len(kept), 0), exhausted, found_in)

    def _containers(self, nid: str) -> list[str]:
        return [u for u, d in self._g.pred[nid].items() if EdgeKind.CONTAINS in d]

    def _is_entry(self, nid: str) -> bool:
        data = self._g.nodes[nid]
        component = data.get("component")
        if data.get("root") or (component is not None and component.direct is True):
            return True
        return not any(
            k in d for d in self._g.pred[nid].values() for k in ("depends_on", "derived_from")
        )

    def _chain_parents(self, nid: str) -> Iterator[str]:
        for u, d in self._g.pred[nid].items():
            if "depends_on" in d or "derived_from" in d:
                yield u

    def _shortest_chain(self, goal: str, max_depth: int) -> list[str] | None:
        """Breadth-first backwards to the nearest contained entry: cheap, and always shown."""
        parent: dict[str, str | None] = {goal: None}
        queue: deque[tuple[str, int]] = deque([(goal, 0)])
        while queue:
            nid, depth = queue.popleft()
            containers = self._containers(nid)
            if containers and self._is_entry(nid):
                chain = [nid]
                while (up := parent[chain[-1]]) is not None:
                    chain.append(up)
                return [min(containers), *chain]
            if depth < max_depth:
                for u in self._chain_parents(nid):
                    if u not in parent:
                        parent[u] = nid
                        queue.append((u, depth + 1))
        return None

    def _all_chains(
        self, goal: str, limit: int, max_depth: int, budget: int, chains: list[list[str]]
    ) -> tuple[int, bool]:
        """Depth-first backwards over simple paths, keeping up to `limit` chains (besides
        any already in `chains`) and counting the rest until `budget` visits."""
        known = {tuple(c) for c in chains}
        found, visits = 0, 0
        path = [goal]
        on_path = {goal}
        stack: list[Iterator[str]] = [iter(self._chain_parents(goal))]
        self_entry = self._containers(goal) if self._is_entry(goal) else []
        for t in self_entry:
            found += 1
            if (t, goal) not in known and len(chains) < limit + 1:
                chains.append([t, goal])
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                continue
            visits += 1
            if visits > budget:
                return found, True
            path.append(nxt)
            on_path.add(nxt)
            if self._is_entry(nxt):
                for t in self._containers(nxt):
                    found += 1
                    chain = [t, *reversed(path)]
                    if len(chains) < limit + 1 and tuple(chain) not in known:
                        chains.append(chain)
            if len(path) <= max_depth:
                stack.append(iter(self._chain_parents(nxt)))
            else:
                on_path.discard(path.pop())
        return found, False

    def _path_edges(self, chain: list[str]) -> tuple[Edge, ...]:
        edges = []
        for u, v in pairwise(chain):
            data = self._g.succ[u][v]
            order = ("contains", "depends_on", "derived_from")
            info = next(data[k] for k in order if k in data)
            edges.append(Edge(u, v, info))
        return tuple(edges)

    # --- origins ------------------------------------------------------------------------

    def origins(self, by: str) -> tuple[OriginGroup, ...]:
        """Inventory components grouped by `by` (one of FACETS), largest group first and
        `unknown` (value None) last. Country and organisation also follow model lineage:
        a fine-tune traces to its base's country too. A component counts once per value."""
        return origin_groups(self.scan, by)

    def _chain_ends(self, nid: str) -> list[str]:
        """Nodes reached by `derived_from` from `nid` that derive from nothing themselves."""
        ends = self._ends.get(nid)
        if ends is None:  # memoised: origins() asks for every model of a long lineage
            seen = self._walk(nid, forward=True, kind=EdgeKind.DERIVED_FROM)
            ends = self._ends[nid] = sorted(n for n in seen if n not in self._derives)
        return ends

    def _walk(self, start: str, forward: bool, kind: EdgeKind) -> set[str]:
        """Nodes reachable from `start` (excluded) along `kind` edges."""
        if start not in self._g:
            return set()
        adj = self._g.succ if forward else self._g.pred
        seen: set[str] = set()
        todo = [start]
        while todo:
            for n, d in adj[todo.pop()].items():
                if kind in d and n not in seen and n != start:
                    seen.add(n)
                    todo.append(n)
        return seen


def _individual(origin: Origin | None) -> bool:
    return origin is not None and origin.publisher_kind is PublisherKind.INDIVIDUAL


def origin_groups(
    scan: Scan, by: str, tops: Mapping[str, str] | None = None
) -> tuple[OriginGroup, ...]:
    """Inventory components grouped by `by` (one of FACETS), largest group first and
    `unknown` (value None) last. Country and organisation are what each component traces
    to (`auditor.graph.trace`): a derived model's lineage roots'. A component counts once
    per value. Needs no graph: the CLI's `origins` answers without building one.

    `tops` (organisation only; `auditor.attribution.parents.ultimate_parents`) rolls each
    organisation up to the one at the top of its `parent` chain: a component of Volcengine
    and one of ByteDance count under ByteDance, once each."""
    if by not in FACETS:
        raise ValueError(f"cannot group by {by!r}; one of {', '.join(FACETS)}")
    if tops is not None and by != "organisation":
        raise ValueError(f"only organisations roll up to their parents, not {by!r}")
    with no_cyclic_gc():  # 100,000s of small tuples on top of a huge, acyclic heap
        return _groups(scan, by, tops)


def _groups(scan: Scan, by: str, tops: Mapping[str, str] | None) -> tuple[OriginGroup, ...]:
    tracer = Tracer(scan) if by in ("country", "organisation") else None
    origins = scan.origins_by_purl()
    groups: dict[str | None, list[Traced]] = {}
    for c in scan.components:
        via: dict[str | None, list[str]] = {}
        if tracer is not None:  # the one answer every view gives (auditor.graph.trace)
            for source in tracer.trace(c.purl).sources:
                through = "origin" if source.relation == SELF else source.root
                sources = via.setdefault(rolled_up(source, by, origins.get(c.purl)), [])
                if through not in sources:
                    sources.append(through)
        else:
            origin = origins.get(c.purl)
            own = _claim_value(getattr(origin, by)) if origin is not None else None
            via[own] = ["origin"] if own is not None else []
        if by == "organisation" and set(via) <= {None} and _individual(origins.get(c.purl)):
            via = {INDIVIDUAL_MAINTAINERS: ["origin"]}  # people: an answer, not unknown
        if tops:
            via = _rolled_up(via, tops)
        for value, sources in via.items():
            groups.setdefault(value, []).append(Traced(c, tuple(sources)))
    ordered = sorted(
        (OriginGroup(v, tuple(m)) for v, m in groups.items()),
        key=lambda g: (g.value is None, -g.total, g.value or ""),
    )
    return tuple(ordered)


def _rolled_up(
    via: dict[str | None, list[str]], tops: Mapping[str, str]
) -> dict[str | None, list[str]]:
    """`via` with each organisation replaced by its top one; sources of two organisations
    with the same top merge, so the component counts once there."""
    merged: dict[str | None, list[str]] = {}
    for value, sources in via.items():
        into = merged.setdefault(tops.get(value, value) if value else value, [])
        into.extend(s for s in sources if s not in into)
    return merged


def _claim_value(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value
