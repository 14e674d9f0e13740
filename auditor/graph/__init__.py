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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

# Each name from its module on first use (PEP 562): `auditor.graph.trace`, which every JSON
# report needs, then costs no import of the graph itself (~6 ms of start-up, issue 36).
_HOMES = {
    **dict.fromkeys(
        ("CHAIN_KINDS", "Edge", "EdgeInfo", "EdgeKind", "Node", "NodeKind", "build_graph",
         "component_id", "node_id"),
        "build",
    ),
    **dict.fromkeys(
        ("FACETS", "MODEL_KINDS", "PACKAGE_KINDS", "OriginGroup", "ProvenanceGraph", "Traced",
         "Why"),
        "queries",
    ),
}  # fmt: skip


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
