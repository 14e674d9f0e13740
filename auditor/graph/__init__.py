"""The provenance graph of one scan, and the questions it answers.

`ProvenanceGraph.from_scan(scan)` builds it from any Scan, fresh or loaded from the store, so
every question works on every past scan. Two jobs, two modules:

- `auditor.graph.build`: the closed vocabulary (`NodeKind`, `EdgeKind`, `EdgeInfo`, `Edge`,
  `Node`, node ids `<kind>:<value>`) and the one pass that turns a Scan into a graph, with
  the rules callers can rely on (project roots, lineage roots, where `operated_by` runs).
- `auditor.graph.queries`: `ProvenanceGraph`, typed access to that graph and the questions
  (`why`, `origins`, lineage, dependencies, `focus`).

Everything is importable from `auditor.graph`; text and exports are `auditor.graph_render`.
"""

from __future__ import annotations

from auditor.graph.build import (
    CHAIN_KINDS,
    Edge,
    EdgeInfo,
    EdgeKind,
    Node,
    NodeKind,
    build_graph,
    component_id,
    node_id,
)
from auditor.graph.queries import (
    FACETS,
    MODEL_KINDS,
    PACKAGE_KINDS,
    OriginGroup,
    ProvenanceGraph,
    Traced,
    Why,
)

__all__ = [
    "CHAIN_KINDS",
    "FACETS",
    "MODEL_KINDS",
    "PACKAGE_KINDS",
    "Edge",
    "EdgeInfo",
    "EdgeKind",
    "Node",
    "NodeKind",
    "OriginGroup",
    "ProvenanceGraph",
    "Traced",
    "Why",
    "build_graph",
    "component_id",
    "node_id",
]
