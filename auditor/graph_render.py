"""The provenance graph as text: `origins` tables and JSON, `why` chains, and graph exports.

Exports open without edits in Gephi and networkx (GraphML; node-link JSON read by
`networkx.node_link_graph(doc, edges="edges")`) and in Graphviz (DOT). Every format is a
directed multigraph: one edge per (source, target, kind), the kind being the edge key.
GraphML attributes must be scalars, so evidence and locations travel as JSON strings there;
node-link JSON carries them as lists.

`origins --format json` shape (version 1):
    {"schema_version": 1, "scan": ID, "by": FACET, "ultimate": bool, "components": N,
     "groups": [{"value": STR|null, "total", "direct", "transitive", "packages", "models",
                 "sentence": STR,
                 "components": [{"purl", "kind", "direct": bool|null, "via": [STR]}]}]}
`value` null is the `unknown` group; `via` is `origin` or the lineage root purls the
component traces through. `ultimate` true: each organisation rolled up to the top of its
`parent` chain (`origins --by organisation --ultimate`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from auditor.graph import Edge, Node, NodeKind, OriginGroup, ProvenanceGraph, Why
from auditor.render.table import cell, columns

EXPORT_FORMATS = ("graphml", "json", "dot")
LISTED = 10
"""Components listed under each group in the `origins` table (JSON lists them all)."""


# --- origins ------------------------------------------------------------------------------


def sentence(group: OriginGroup, by: str) -> str:
    """`38 components trace to CN, 12 of them models`."""
    n = group.total
    noun = "component traces" if n == 1 else "components trace"
    where = group.value if group.value is not None else f"no known {by}"
    models = f", {group.models} of them models" if group.models else ""
    return f"{n} {noun} to {where}{models}"


def origins_table(
    groups: Iterable[OriginGroup], by: str, components: int, ultimate: bool = False
) -> str:
    """One row per value (counts), then each group's sentence and first members."""
    groups = list(groups)
    header = (
        f"ULTIMATE {by.upper()}" if ultimate else by.upper(),
        "TOTAL",
        "DIRECT",
        "TRANSITIVE",
        "PACKAGES",
        "MODELS",
    )
    # the counts keep their width; a long organisation name is cut (with …) so that a row
    # fits the terminal (COLUMNS, else 80 when piped): a wrapped row misaligns every column
    import shutil

    counts = sum(len(h) + 2 for h in header[1:])
    name_width = max(len(header[0]), shutil.get_terminal_size((80, 24)).columns - counts)
    rows = [
        (
            cell(g.value if g.value is not None else "unknown", name_width),
            *(str(n) for n in (g.total, g.direct, g.transitive, g.packages, g.models)),
        )
        for g in groups
    ]
    out = columns(header, rows)
    out.append(f"{components} components in the scan; one may trace to several values")
    for g in groups:
        out += ["", sentence(g, by) + ":"]
        for m in g.members[:LISTED]:
            via = "" if m.via in ((), ("origin",)) else f"  (via {', '.join(m.via)})"
            out.append(f"  {m.component.purl}{via}")
        if g.total > LISTED:
            out.append(f"  … and {g.total - LISTED} more (--format json lists all)")
    return "\n".join(out) + "\n"


def origins_json(
    groups: Iterable[OriginGroup], by: str, scan_id: str, components: int, ultimate: bool = False
) -> str:
    """The documented JSON shape (module docstring)."""
    doc = {
        "schema_version": 1,
        "scan": scan_id,
        "by": by,
        "ultimate": ultimate,
        "components": components,
        "groups": [
            {
                "value": g.value,
                "total": g.total,
                "direct": g.direct,
                "transitive": g.transitive,
                "packages": g.packages,
                "models": g.models,
                "sentence": sentence(g, by),
                "components": [
                    {
                        "purl": m.component.purl,
                        "kind": m.component.kind.value,
                        "direct": m.component.direct,
                        "via": list(m.via),
                    }
                    for m in g.members
                ],
            }
            for g in groups
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- why ----------------------------------------------------------------------------------


def why_text(graph: ProvenanceGraph, why: Why) -> str:
    """Each path as one chain line, with where the first hop was found."""
    out = [f"{why.purl}: {len(why.paths) + why.more}{'+' if why.exhausted else ''} path(s)"]
    out += [
        f"  vendored in {graph.node(e.source).label}"  # a component carrying a copy
        if e.source.startswith("component:")
        else f"  found in {graph.node(e.source).label}: {_places(e)}"
        for e in why.found_in
    ]
    out.append("")
    for path in why.paths:
        out.append(_chain(graph, path))
        first = path[0]
        if first.info.locations:
            out.append(f"    {first.kind.value} at {_places(first)}")
        elif first.info.note:
            out.append(f"    {first.kind.value}: {first.info.note}")
    if why.more:
        bound = "at least " if why.exhausted else ""
        out.append(f"+{bound}{why.more} more path(s) not shown")
    elif why.exhausted:
        out.append("(the search stopped at its budget; there may be more paths)")
    if graph.component(why.purl) is not None:  # where it comes from: auditor.graph.trace
        from auditor.graph.trace import Tracer
        from auditor.render.show import trace_lines

        out += ["", *trace_lines(Tracer(graph.scan), why.purl)]
    return "\n".join(out) + "\n"


def _chain(graph: ProvenanceGraph, path: tuple[Edge, ...]) -> str:
    parts = [graph.node(path[0].source).label]
    for e in path:
        node = graph.node(e.target)
        if e.kind.value == "contains":
            arrow = " -> "
        elif e.info.scope:
            arrow = f" -[{e.kind.value}, {e.info.scope}]-> "
        elif e.kind.value != "depends_on":
            arrow = f" -[{e.kind.value}]-> "
        else:
            arrow = " -> "
        parts.append(arrow + node.value + (" (project)" if node.root else ""))
    return "".join(parts)


def _places(edge: Edge) -> str:
    return ", ".join(
        loc.path
        + (f":{loc.line}" if loc.line is not None else "")
        + (f" (layer {loc.layer})" if loc.layer else "")
        for loc in edge.info.locations
    )


# --- exports ------------------------------------------------------------------------------


def export(graph: ProvenanceGraph, fmt: str) -> str:
    """The whole graph as `graphml`, node-link `json` or `dot` text."""
    if fmt == "dot":
        return to_dot(graph)
    import networkx as nx

    structured = fmt == "json"
    g = nx.MultiDiGraph(scan=graph.scan.id)
    g.add_nodes_from((n.id, node_attrs(n)) for n in graph.nodes())
    g.add_edges_from(
        (e.source, e.target, e.kind.value, edge_attrs(e, structured)) for e in graph.edges()
    )
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"
    if fmt == "json":
        doc = nx.node_link_data(g, edges="edges")
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown graph format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")


def node_attrs(node: Node) -> dict[str, Any]:
    """Scalar attributes of a node (None values left out: GraphML has no null)."""
    attrs: dict[str, Any] = {"kind": node.kind.value, "label": node.label}
    t, c, o = node.target, node.component, node.origin
    if t is not None:
        attrs |= {"ref": t.ref, "target_kind": t.kind.value, "identity": t.identity}
        attrs["digest"] = t.digest
    if node.kind is NodeKind.COMPONENT:
        attrs |= {"purl": node.value, "root": node.root, "external": node.external}
    if c is not None:
        attrs |= {"component_kind": c.kind.value, "name": c.name, "version": c.version}
        attrs["direct"] = c.direct
    if o is not None:
        attrs["origin_status"] = o.status.value
        for field in ("publisher", "repository", "organisation", "country"):
            claim = getattr(o, field)
            if claim is not None:
                attrs[field] = claim.value
                attrs[f"{field}_strength"] = claim.strength.value
    return {k: v for k, v in attrs.items() if v is not None}


def edge_attrs(edge: Edge, structured: bool) -> dict[str, Any]:
    """Attributes of an edge; evidence and locations as lists, or JSON strings for GraphML."""
    info = edge.info
    attrs: dict[str, Any] = {
        "kind": info.kind.value,
        "strength": info.strength.value if info.strength is not None else None,
        "scope": info.scope,
        "marker": info.marker,
        "note": info.note,
    }
    for name, items in (("evidence", info.evidence), ("locations", info.locations)):
        if items:
            listed = [{k: v for k, v in asdict(i).items() if v is not None} for i in items]
            attrs[name] = listed if structured else json.dumps(listed, ensure_ascii=False)
    return {k: v for k, v in attrs.items() if v is not None}


SHAPES = {
    NodeKind.TARGET: "folder",
    NodeKind.COMPONENT: "box",
    NodeKind.PUBLISHER: "ellipse",
    NodeKind.REPOSITORY: "component",
    NodeKind.ORGANISATION: "house",
    NodeKind.COUNTRY: "doublecircle",
}


def to_dot(graph: ProvenanceGraph) -> str:
    """Graphviz DOT; node names are the graph's node ids."""
    return "".join(_dot_lines(graph))


def _dot_lines(graph: ProvenanceGraph) -> Iterator[str]:
    yield f"digraph {dot_quote('scan ' + graph.scan.id)} {{\n"
    yield "  graph [rankdir=LR];\n  node [shape=box];\n"
    for n in graph.nodes():
        style = ' style="dashed"' if n.root or n.external else ""
        yield (
            f"  {dot_quote(n.id)} [label={dot_quote(n.label)} shape={SHAPES[n.kind]}"
            f" kind={dot_quote(n.kind.value)}{style}];\n"
        )
    for e in graph.edges():
        strength = f" strength={dot_quote(e.info.strength.value)}" if e.info.strength else ""
        yield (
            f"  {dot_quote(e.source)} -> {dot_quote(e.target)}"
            f" [label={dot_quote(e.kind.value)} kind={dot_quote(e.kind.value)}{strength}];\n"
        )
    yield "}\n"


def dot_quote(text: str) -> str:
    """A DOT quoted string, one-to-one with `text`. Backslashes are doubled and quotes
    escaped, so a trailing backslash cannot swallow the closing quote and labels show the
    text as it is; line breaks become `\\n`; other control characters pass through (Graphviz
    reads them), except NUL, which C strings cannot hold (shown as U+2400)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\0", "\u2400")
    return '"' + out.replace("\r", "\\r").replace("\n", "\\n") + '"'
