"""`auditor origins`, `why` and `graph` on stored scans, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from auditor.store import open_store
from tests.conftest import REPO, Ran
from tests.test_graph import lineage_scan

EXAMPLE = REPO / "examples" / "python-app"
Auditor = Callable[..., Ran]


def _stored_example(auditor: Auditor) -> tuple[str, dict[str, object]]:
    ran = auditor("scan", EXAMPLE, "--no-resolve", "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = json.loads(ran.stdout)
    return doc["scan"]["id"], doc


def test_why_prints_chains_from_the_target(auditor: Auditor) -> None:
    scan_id, doc = _stored_example(auditor)
    urllib3 = next(c for c in doc["components"] if c["name"] == "urllib3")  # type: ignore[index]
    ran = auditor("why", scan_id[:8], urllib3["purl"])
    assert ran.code == 0, ran.stderr
    chain = (
        f"{EXAMPLE} -> pkg:pypi/example-app@0.1.0 (project) -> pkg:pypi/requests@2.34.2"
        f" -> {urllib3['purl']}"
    )
    assert chain in ran.stdout.splitlines()
    line = next(loc["line"] for loc in urllib3["locations"] if loc["path"] == "uv.lock")
    assert f"uv.lock:{line}" in ran.stdout


def test_why_unknown_purl_exits_2_with_suggestions(auditor: Auditor) -> None:
    scan_id, _ = _stored_example(auditor)
    ran = auditor("why", scan_id, "pkg:pypi/urlib3@9")
    assert ran.code == 2
    assert "pkg:pypi/urlib3@9: not a component of scan" in ran.stderr
    assert "did you mean: pkg:pypi/urllib3@" in ran.stderr
    assert "Traceback" not in ran.stderr
    missing = auditor("why", "no-such-scan", "pkg:pypi/x@1")
    assert missing.code == 2 and "not found" in missing.stderr


def test_origins_on_a_stored_scan_with_countries(auditor: Auditor, db_url: str) -> None:
    scan = lineage_scan()
    with open_store(db_url) as store:
        store.save_scan(scan)
    table = auditor("origins", scan.id, "--by", "country")
    assert table.code == 0, table.stderr
    assert "3 components trace to CN, 3 of them models:" in table.stdout
    assert "1 component traces to no known country:" in table.stdout
    ran = auditor("origins", scan.id, "--by", "organisation", "--format", "json")
    doc = json.loads(ran.stdout)
    assert doc["by"] == "organisation" and doc["components"] == len(scan.components)
    groups = {g["value"]: g for g in doc["groups"]}
    # Acme publishes the merge; the merge traces to its roots (Qwen Team, Mistral AI).
    assert set(groups) == {"Qwen Team", "Mistral AI", "NumFOCUS", None}
    assert {c["purl"] for c in groups["Qwen Team"]["components"]} == {
        f"pkg:huggingface/{n}@1" for n in ("merge", "ft", "base-a")
    }
    assert auditor("origins", scan.id, "--by", "planet").code == 2


def test_origins_without_origins_is_all_unknown(auditor: Auditor) -> None:
    scan_id, doc = _stored_example(auditor)
    ran = auditor("origins", scan_id, "--by", "publisher", "--format", "json")
    [group] = json.loads(ran.stdout)["groups"]
    assert group["value"] is None and group["total"] == len(doc["components"])  # type: ignore[arg-type]


def test_graph_exports_open_in_networkx_and_graphviz(
    auditor: Auditor, tmp_path: Path, graphviz_dot: str
) -> None:
    import subprocess

    scan_id, doc = _stored_example(auditor)
    n_components = len(doc["components"])  # type: ignore[arg-type]
    out = tmp_path / "g.graphml"
    assert auditor("graph", scan_id, "--format", "graphml", "--output", out).code == 0
    g = nx.read_graphml(out)
    kinds = [d["kind"] for _, d in g.nodes(data=True)]
    assert kinds.count("component") == n_components + 1  # + the project root
    ran = auditor("graph", scan_id, "--format", "json")
    h = nx.node_link_graph(json.loads(ran.stdout), edges="edges")
    assert set(h.nodes) == set(g.nodes)
    dot = auditor("graph", scan_id, "--format", "dot").stdout
    rendered = subprocess.run(
        [graphviz_dot, "-Tsvg"], input=dot, capture_output=True, text=True, check=False
    )
    assert rendered.returncode == 0 and rendered.stderr == ""


def test_graph_focus_and_depth(auditor: Auditor) -> None:
    scan_id, _ = _stored_example(auditor)
    ran = auditor(
        "graph", scan_id, "-f", "json", "--focus", "pkg:pypi/requests@2.34.2", "--depth", "1"
    )
    h = nx.node_link_graph(json.loads(ran.stdout), edges="edges")
    assert "component:pkg:pypi/urllib3@2.8.0" in h and "component:pkg:pypi/click@8.5.1" not in h
    bad = auditor("graph", scan_id, "--depth", "1")
    assert bad.code == 2 and "--depth: needs --focus" in bad.stderr
    unknown = auditor("graph", scan_id, "--focus", "pkg:pypi/nope@1")
    assert unknown.code == 2 and "not a component" in unknown.stderr
