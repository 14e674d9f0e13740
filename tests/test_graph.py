"""The provenance graph: built from real collector output and from hand-made scans (diamonds,
cycles, multi-root lineage, origins), checked against networkx, uv and Graphviz."""

from __future__ import annotations

import json
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.config import Config
from auditor.graph import FACETS, EdgeKind, NodeKind, ProvenanceGraph, component_id, node_id
from auditor.graph_render import export, origins_json, origins_table, sentence
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.pipeline import run_scan
from tests.conftest import DATA, REPO

EXAMPLE = REPO / "examples" / "python-app"
TARGET = Target("app/", TargetKind.DIRECTORY, "directory:/srv/app", "sha256:00")


def lib(
    name: str, direct: bool | None = False, kind: ComponentKind = ComponentKind.LIBRARY
) -> Component:
    """A component found in TARGET's uv.lock."""
    return Component(
        f"pkg:pypi/{name}@1.0",
        kind,
        name,
        "1.0",
        locations=(Location("app/", "uv.lock", 1),),
        direct=direct,
    )


def make_scan(
    components: list[Component],
    deps: list[tuple[str, str]] | list[Dependency],
    origins: tuple[Origin, ...] = (),
    targets: tuple[Target, ...] = (TARGET,),
) -> Scan:
    """A scan whose dependencies are given by name (pkg:pypi/<name>@1.0) or as Dependency."""
    dependencies = tuple(
        d
        if isinstance(d, Dependency)
        else Dependency(f"pkg:pypi/{d[0]}@1.0", f"pkg:pypi/{d[1]}@1.0")
        for d in deps
    )
    return Scan(
        "scan-1",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z",
        ScanStatus.COMPLETE,
        "test",
        targets,
        tuple(components),
        origins,
        dependencies,
    )


def chains(graph: ProvenanceGraph, purl: str, **kw: int) -> set[tuple[str, ...]]:
    """`why`'s paths as node-value tuples (the target as its ref)."""
    return {
        (graph.node(p[0].source).label, *(graph.node(e.target).value for e in p))
        for p in graph.why(purl, **kw).paths
    }


def oracle_paths(scan: Scan, source: str, goal: str) -> set[tuple[str, ...]]:
    """Every simple dependency path, by networkx over the raw Dependency list."""
    g = nx.DiGraph((d.source, d.target) for d in scan.dependencies)
    return {tuple(p) for p in nx.all_simple_paths(g, source, goal)}


# --- real collector output ---------------------------------------------------------------


@pytest.fixture(scope="module")
def example_scan() -> Scan:
    return run_scan([str(EXAMPLE)], Config(no_resolve=True, store=False))


def test_example_graph_mirrors_the_scan(example_scan: Scan) -> None:
    graph = ProvenanceGraph.from_scan(example_scan)
    [target] = example_scan.targets
    tid = node_id(NodeKind.TARGET, target.identity)
    contained = {e.target: e for e in graph.out_edges(tid, (EdgeKind.CONTAINS,))}
    for c in example_scan.components:
        assert contained[component_id(c.purl)].info.locations == c.locations
    deps = {(component_id(d.source), component_id(d.target)) for d in example_scan.dependencies}
    assert {(e.source, e.target) for e in graph.edges(EdgeKind.DEPENDS_ON)} == deps
    roots = [n for n in graph.nodes(NodeKind.COMPONENT) if n.root]
    assert [n.value for n in roots] == ["pkg:pypi/example-app@0.1.0"]
    assert component_id(roots[0].value) in contained  # target -> project
    assert graph.component(roots[0].value) is None


def _uv_inverted(project: Path, package: str) -> set[tuple[str, ...]]:
    """uv's own account: root-to-leaf lines of `uv tree --invert`, reversed to project-first."""
    uv = REPO / ".venv" / "bin" / "uv"
    out = subprocess.run(
        [str(uv), "tree", "--frozen", "--offline", "--invert", "--no-dedupe", "--package", package],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    paths: set[tuple[str, ...]] = set()
    stack: list[str] = []
    lines = [ln for ln in out.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        body = line.lstrip("│├└─ ")
        depth = (len(line) - len(body)) // 4
        stack[depth:] = [body.split(" v")[0]]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if len(nxt) - len(nxt.lstrip("│├└─ ")) <= len(line) - len(body):
            paths.add(tuple(reversed(stack)))
    return paths


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "uv").exists(), reason="uv not installed")
@pytest.mark.parametrize("package", ["urllib3", "markupsafe", "pluggy", "click"])
def test_why_agrees_with_uv_tree_invert(tmp_path: Path, package: str) -> None:
    shutil.copy(EXAMPLE / "uv.lock", tmp_path / "uv.lock")
    shutil.copy(EXAMPLE / "pyproject.toml", tmp_path / "pyproject.toml")
    scan = run_scan([str(tmp_path / "uv.lock")], Config(no_resolve=True, store=False))
    graph = ProvenanceGraph.from_scan(scan)
    [purl] = [c.purl for c in scan.components if c.name == package]
    ours = {
        tuple(graph.node(e.target).value.split("/")[1].split("@")[0] for e in p)
        for p in graph.why(purl).paths
        if graph.node(p[0].target).root
    }
    assert ours and ours == _uv_inverted(tmp_path, package)


@pytest.mark.parametrize("lock", sorted((DATA / "python" / "uvlock").glob("*/uv.lock")))
def test_every_component_of_real_locks_has_a_path(lock: Path) -> None:
    scan = run_scan([str(lock)], Config(no_resolve=True, store=False))
    graph = ProvenanceGraph.from_scan(scan)
    for c in scan.components:
        why = graph.why(c.purl)
        assert why.paths, c.purl
        for path in why.paths:
            assert path[0].kind is EdgeKind.CONTAINS
            assert path[-1].target == component_id(c.purl)
            nodes = [path[0].source, *(e.target for e in path)]
            assert len(nodes) == len(set(nodes))  # simple


# --- why: diamonds, cycles, limits ----------------------------------------------------------


def test_why_on_a_diamond_matches_networkx() -> None:
    deps = [("proj", "a"), ("proj", "b"), ("a", "d"), ("b", "d"), ("d", "e")]
    scan = make_scan([lib("a", True), lib("b", True), lib("d"), lib("e")], deps)
    graph = ProvenanceGraph.from_scan(scan)
    expected = oracle_paths(scan, "pkg:pypi/proj@1.0", "pkg:pypi/e@1.0")
    via_project = {p[1:] for p in chains(graph, "pkg:pypi/e@1.0") if p[1] == "pkg:pypi/proj@1.0"}
    assert via_project == expected and len(expected) == 2
    # Direct components are entries too: app/ -> a -> d -> e and app/ -> b -> d -> e.
    assert ("app/", "pkg:pypi/a@1.0", "pkg:pypi/d@1.0", "pkg:pypi/e@1.0") in chains(
        graph, "pkg:pypi/e@1.0"
    )


def test_why_survives_cycles_and_keeps_paths_simple() -> None:
    deps = [("proj", "a"), ("a", "b"), ("b", "c"), ("c", "b"), ("c", "a"), ("b", "d")]
    scan = make_scan([lib("a", True), lib("b"), lib("c"), lib("d")], deps)
    graph = ProvenanceGraph.from_scan(scan)
    got = chains(graph, "pkg:pypi/d@1.0")
    expected = {("app/", *p) for p in oracle_paths(scan, "pkg:pypi/proj@1.0", "pkg:pypi/d@1.0")}
    expected |= {("app/", *p) for p in oracle_paths(scan, "pkg:pypi/a@1.0", "pkg:pypi/d@1.0")}
    assert got == expected


def test_a_cycle_no_entry_reaches_still_answers_with_where_it_was_found() -> None:
    scan = make_scan([lib("x", None), lib("y", None)], [("x", "y"), ("y", "x")])
    why = ProvenanceGraph.from_scan(scan).why("pkg:pypi/x@1.0")
    assert [[e.kind for e in p] for p in why.paths] == [[EdgeKind.CONTAINS]]
    assert why.paths[0][0].info.locations == (Location("app/", "uv.lock", 1),)


def test_why_limit_counts_the_rest_exactly() -> None:
    # Three layers of four, fully connected: 4 * 4 * 4 = 64 paths from proj to the leaf.
    layers = [[f"l{i}{j}" for j in range(4)] for i in range(3)]
    deps = [("proj", n) for n in layers[0]]
    deps += [(a, b) for x, y in pairwise(layers) for a in x for b in y]
    deps += [(n, "leaf") for n in layers[2]]
    comps = [lib(n, direct=n in layers[0]) for layer in layers for n in layer] + [lib("leaf")]
    scan = make_scan(comps, deps)
    graph = ProvenanceGraph.from_scan(scan)
    total = len(oracle_paths(scan, "pkg:pypi/proj@1.0", "pkg:pypi/leaf@1.0"))
    total += sum(
        len(oracle_paths(scan, f"pkg:pypi/{n}@1.0", "pkg:pypi/leaf@1.0")) for n in layers[0]
    )
    why = graph.why("pkg:pypi/leaf@1.0", limit=5)
    assert len(why.paths) == 5 and not why.exhausted
    assert len(why.paths) + why.more == total == 128
    assert [len(p) for p in why.paths] == sorted(len(p) for p in why.paths)
    bounded = graph.why("pkg:pypi/leaf@1.0", limit=5, budget=10)
    assert bounded.exhausted and len(bounded.paths) == 5


def test_unknown_purl_is_a_key_error_with_suggestions() -> None:
    graph = ProvenanceGraph.from_scan(make_scan([lib("requests"), lib("urllib3")], []))
    with pytest.raises(KeyError):
        graph.why("pkg:pypi/requets@1.0")
    assert graph.suggest("pkg:pypi/requets@1.0") == ("pkg:pypi/requests@1.0",)
    assert graph.suggest("pkg:pypi/urllib3") == ("pkg:pypi/urllib3@1.0",)


# --- lineage and origins --------------------------------------------------------------------


def model(name: str, direct: bool | None = False) -> Component:
    c = lib(name, direct, ComponentKind.MODEL)
    return Component(
        f"pkg:huggingface/{name}@1", c.kind, name, "1", locations=c.locations, direct=direct
    )


def resolved(purl: str, org: str | None, country: str | None, **claims: Claim) -> Origin:
    return Origin(
        purl,
        OriginStatus.RESOLVED,
        organisation=Claim(org, Strength.INFERRED) if org else None,
        country=Claim(country, Strength.INFERRED) if country else None,
        **claims,  # type: ignore[arg-type]
    )


def lineage_scan() -> Scan:
    """merge <- ft (CN base via chain) and base-b (FR); the merge itself is US."""
    m = {n: model(n, direct=n == "merge") for n in ("merge", "ft", "base-a", "base-b")}
    deps = [
        Dependency(m["merge"].purl, m["ft"].purl, DependencyKind.DERIVED_FROM),
        Dependency(m["merge"].purl, m["base-b"].purl, DependencyKind.DERIVED_FROM),
        Dependency(m["ft"].purl, m["base-a"].purl, DependencyKind.DERIVED_FROM),
    ]
    origins = (
        resolved(m["merge"].purl, "Acme", "US"),
        resolved(m["ft"].purl, None, None),
        resolved(m["base-a"].purl, "Qwen Team", "CN"),
        resolved(m["base-b"].purl, "Mistral AI", "FR"),
        resolved("pkg:pypi/numpy@1.0", "NumFOCUS", "US"),
    )
    return make_scan([*m.values(), lib("numpy", True), lib("six")], deps, origins)


def test_multi_root_lineage() -> None:
    graph = ProvenanceGraph.from_scan(lineage_scan())
    merge, ft, a, b = (f"pkg:huggingface/{n}@1" for n in ("merge", "ft", "base-a", "base-b"))
    assert set(graph.lineage_roots(merge)) == {a, b}
    assert graph.lineage_roots(ft) == (a,)
    assert set(graph.derivatives(a)) == {ft, merge}
    assert set(graph.base_models(merge)) == {ft, b}
    assert chains(graph, a) == {("app/", merge, ft, a)}


def test_origins_by_country_follow_lineage_and_count_once() -> None:
    graph = ProvenanceGraph.from_scan(lineage_scan())
    groups = {g.value: g for g in graph.origins("country")}
    members = {v: {m.component.name for m in g.members} for v, g in groups.items()}
    # A derived model traces to its lineage roots, not to its own publisher's country
    # (the merge is published from US; its weights are base-a's and base-b's).
    assert members == {
        "US": {"numpy"},
        "CN": {"merge", "ft", "base-a"},
        "FR": {"merge", "base-b"},
        None: {"six"},
    }
    cn = groups["CN"]
    assert (cn.total, cn.models, cn.packages, cn.direct, cn.transitive) == (3, 3, 0, 1, 2)
    assert sentence(cn, "country") == "3 components trace to CN, 3 of them models"
    assert sentence(groups[None], "country") == "1 component traces to no known country"
    via = {m.component.name: m.via for m in cn.members}
    assert via["ft"] == ("pkg:huggingface/base-a@1",) and via["base-a"] == ("origin",)
    assert list(groups)[-1] is None  # unknown last
    doc = json.loads(origins_json(graph.origins("country"), "country", "scan-1", 6))
    assert [g["value"] for g in doc["groups"]][-1] is None
    assert {g["value"]: g["total"] for g in doc["groups"]} == {
        k: len(v) for k, v in members.items()
    }
    table = origins_table(graph.origins("country"), "country", 6)
    assert "3 components trace to CN, 3 of them models:" in table
    assert table.splitlines()[0].split() == [
        "COUNTRY",
        "TOTAL",
        "DIRECT",
        "TRANSITIVE",
        "PACKAGES",
        "MODELS",
    ]


def test_origin_roots_without_dependencies_become_external_lineage() -> None:
    ft = model("ft")
    origin = Origin(
        ft.purl,
        OriginStatus.RESOLVED,
        roots=(Root("pkg:huggingface/base@1", "finetune", "Qwen Team", "CN"),),
    )
    graph = ProvenanceGraph.from_scan(make_scan([ft], [], (origin,)))
    assert graph.lineage_roots(ft.purl) == ("pkg:huggingface/base@1",)
    assert graph.node(component_id("pkg:huggingface/base@1")).external
    assert [g.value for g in graph.origins("country")] == ["CN"]
    assert [g.value for g in graph.origins("publisher")] == [None]


def test_origin_edges_keep_their_evidence_and_strength() -> None:
    repo = "https://github.com/psf/requests"
    ev = (
        Evidence(
            "pypi", "ownership.organization", "psf", "pypi:/pypi/requests/json", Strength.REGISTRY
        ),
        Evidence(
            "metadata",
            "Project-URL.Source",
            "https://github.com/psf/requests.git",
            "METADATA",
            Strength.DECLARED,
        ),
        Evidence("attestation", "repository", repo, "pypi:/integrity", Strength.ATTESTED),
    )
    signed = Origin(
        "pkg:pypi/requests@1.0",
        OriginStatus.RESOLVED,
        publisher=Claim("psf", Strength.REGISTRY),
        repository=Claim(repo, Strength.ATTESTED),
        organisation=Claim("Python Software Foundation", Strength.INFERRED),
        country=Claim("US", Strength.INFERRED),
        evidence=ev,
    )
    claimed = Origin(
        "pkg:pypi/six@1.0",
        OriginStatus.RESOLVED,
        repository=Claim("https://github.com/benjaminp/six", Strength.DECLARED),
    )
    graph = ProvenanceGraph.from_scan(
        make_scan([lib("requests"), lib("six")], [], (signed, claimed))
    )
    [pub] = graph.edges(EdgeKind.PUBLISHED_BY)
    assert pub.target == node_id(NodeKind.PUBLISHER, "psf") and pub.info.evidence == (ev[0],)
    [built] = graph.edges(EdgeKind.BUILT_FROM)
    assert built.info.strength is Strength.ATTESTED and set(built.info.evidence) == {ev[1], ev[2]}
    [claims] = graph.edges(EdgeKind.CLAIMS_REPOSITORY)
    assert claims.source == component_id("pkg:pypi/six@1.0")
    operated = {e.source for e in graph.edges(EdgeKind.OPERATED_BY)}
    assert operated == {node_id(NodeKind.PUBLISHER, "psf"), node_id(NodeKind.REPOSITORY, repo)}
    [located] = graph.edges(EdgeKind.LOCATED_IN)
    assert (located.source, located.target) == (
        node_id(NodeKind.ORGANISATION, "Python Software Foundation"),
        node_id(NodeKind.COUNTRY, "US"),
    )
    groups = graph.origins("repository")
    assert [(g.value, g.total) for g in groups] == [
        ("https://github.com/benjaminp/six", 1),
        (repo, 1),
    ]


def test_components_without_a_known_target_are_in_every_target() -> None:
    second = Target("other/", TargetKind.DIRECTORY, "directory:/srv/other", "sha256:01")
    loose = Component("pkg:pypi/loose@1.0", ComponentKind.LIBRARY, "loose", "1.0")
    graph = ProvenanceGraph.from_scan(make_scan([loose, lib("a")], [], targets=(TARGET, second)))
    holders = {e.source for e in graph.in_edges(component_id(loose.purl), (EdgeKind.CONTAINS,))}
    assert holders == {node_id(NodeKind.TARGET, t.identity) for t in (TARGET, second)}
    held_a = {e.source for e in graph.in_edges(component_id("pkg:pypi/a@1.0"))}
    assert held_a == {node_id(NodeKind.TARGET, TARGET.identity)}


# --- exports --------------------------------------------------------------------------------


def _keyed_edges(graph: ProvenanceGraph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind.value) for e in graph.edges()}


def test_graphml_and_node_link_reread_by_networkx(tmp_path: Path, example_scan: Scan) -> None:
    for scan in (example_scan, lineage_scan()):
        graph = ProvenanceGraph.from_scan(scan)
        path = tmp_path / "g.graphml"
        path.write_text(export(graph, "graphml"), encoding="utf-8")
        g = nx.read_graphml(path, force_multigraph=True)
        assert set(g.nodes) == {n.id for n in graph.nodes()}
        assert set(g.edges(keys=True)) == _keyed_edges(graph)
        doc = json.loads(export(graph, "json"))
        h = nx.node_link_graph(doc, edges="edges")
        assert h.is_directed() and h.is_multigraph()
        assert set(h.edges(keys=True)) == _keyed_edges(graph)
        if scan is example_scan:
            found = [d for _, _, d in g.edges(data=True) if "locations" in d]
            assert json.loads(found[0]["locations"])[0]["target"] == str(EXAMPLE)
    merge = h.nodes["component:pkg:huggingface/merge@1"]
    assert (merge["kind"], merge["component_kind"], merge["country"]) == (
        "component",
        "model",
        "US",
    )


def _dot(dot: str, text: str, fmt: str = "json") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [dot, f"-T{fmt}"], input=text, capture_output=True, text=True, check=False
    )


def test_dot_export_renders_with_graphviz(graphviz_dot: str, example_scan: Scan) -> None:
    graph = ProvenanceGraph.from_scan(example_scan)
    ran = _dot(graphviz_dot, export(graph, "dot"))
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    doc = json.loads(ran.stdout, strict=False)  # dot writes control characters raw
    names = {o["name"] for o in doc["objects"]}
    assert names == {n.id for n in graph.nodes()}
    assert len(doc["edges"]) == sum(1 for _ in graph.edges())
    assert _dot(graphviz_dot, export(graph, "dot"), "svg").stdout.startswith("<?xml")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.text(min_size=1, max_size=12).filter(lambda t: "\u2400" not in t),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_dot_quoting_survives_any_text(graphviz_dot: str, values: list[str]) -> None:
    comps = [lib(f"p{i}") for i in range(len(values))]
    origins = tuple(
        Origin(
            c.purl,
            OriginStatus.RESOLVED,
            publisher=Claim(v, Strength.REGISTRY),
            organisation=Claim(v + '"\\', Strength.INFERRED),
        )
        for c, v in zip(comps, values, strict=True)
    )
    graph = ProvenanceGraph.from_scan(make_scan(comps, [], origins))
    ran = _dot(graphviz_dot, export(graph, "dot"))
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout, strict=False)  # dot writes control characters raw
    assert len(doc["objects"]) == len(graph)
    assert len(doc["edges"]) == sum(1 for _ in graph.edges())


def test_focus_is_the_neighbourhood_both_ways(example_scan: Scan) -> None:
    graph = ProvenanceGraph.from_scan(example_scan)
    requests = next(c.purl for c in example_scan.components if c.name == "requests")
    near = graph.focus(requests, 1)
    expected = {component_id(requests)}
    expected |= {e.target for e in graph.out_edges(component_id(requests))}
    expected |= {e.source for e in graph.in_edges(component_id(requests))}
    assert {n.id for n in near.nodes()} == expected
    assert len(graph.focus(requests, 0)) == 1


@pytest.mark.parametrize("by", FACETS)
def test_lineage_only_graph_answers_origins_like_the_full_graph(
    by: str, example_scan: Scan
) -> None:
    for scan in (lineage_scan(), example_scan):
        full = ProvenanceGraph.from_scan(scan).origins(by)
        assert ProvenanceGraph.from_scan(scan, lineage_only=True).origins(by) == full


@given(
    name=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=120
    ),
    width=st.integers(min_value=80, max_value=200),
)
def test_the_origins_table_fits_the_terminal_whatever_the_organisation_name(
    name: str, width: int
) -> None:
    """A long legal name is cut with … so that no row of `auditor origins` is wider than the
    terminal (COLUMNS; 80 when piped): a wrapped row misaligns every column under it."""
    import os
    from unittest import mock

    from auditor.graph.queries import OriginGroup, Traced
    from auditor.graph_render import origins_table

    member = Traced(Component("pkg:pypi/a@1", ComponentKind.LIBRARY, "a", "1"), ("origin",))
    groups = [OriginGroup(name, (member,)), OriginGroup(None, (member,))]
    with mock.patch.dict(os.environ, {"COLUMNS": str(width)}):
        table = origins_table(groups, "organisation", 1, ultimate=True)
    rows = table.splitlines()[:3]
    assert all(len(row) <= width for row in rows), rows
    assert rows[2].startswith("unknown")
