"""The model answer, the same in every view.

A cache laid out by huggingface_hub from a loopback Hub holds a re-packager's quantisation
(a real GGUF), the instruct model it quantises (a real safetensors file) and an unvetted
model. The Hub knows the third hop (the base). Scanned online, offline from the store's
cached answers, offline with nothing cached, and with the Hub down, every view — the table
summary, `show`, `origins`, `why`, JSON `roots`, the HTML summary and inventory, Markdown,
CycloneDX, SPDX and `check-models` — must say the quantisation traces to Alibaba, CN.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ran
from tests.lineage_hub import BASE, INSTRUCT, QUANT, UNVETTED, download, populate
from tests.servers.hub import HubState, serve

Auditor = Callable[..., Ran]
QWEN = ("Alibaba Group Holding Limited", "CN")
UNKNOWN = (None, None)


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The cache, and the loopback Hub's URL (running while the test runs)."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    state = HubState()
    for url in serve(state):
        populate(state, url)
        download(state, url, tmp_path / "hub", (QUANT, INSTRUCT, UNVETTED))
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield tmp_path / "hub", url


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _scan(auditor: Auditor, target: Path, *flags: str) -> dict[str, Any]:
    ran = auditor("scan", target, "--format", "json", *flags)
    assert ran.code in (0, 3), ran.stderr
    doc: dict[str, Any] = json.loads(ran.stdout)
    return doc


def _purl(doc: dict[str, Any], name: str) -> str:
    return next(str(c["purl"]) for c in doc["components"] if c["name"] == name)


def views(auditor: Auditor, doc: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Each view's answer for every component: {view: {purl: {(organisation, country)}}}
    (the roll-ups: {view: {country: count}})."""
    scan_id = doc["scan"]["id"]
    purls = [str(c["purl"]) for c in doc["components"]]
    names = {str(c["purl"]): str(c["name"]) for c in doc["components"]}
    out: dict[str, Any] = {}
    out["json"] = {
        c["purl"]: {(r["organisation"], r["country"]) for r in c["origin"]["roots"]}
        for c in doc["components"]
    }
    out["show"], out["why"] = {}, {}
    for purl in purls:
        for view in ("show", "why"):
            ran = auditor(view, scan_id, purl)
            assert ran.code == 0, ran.stderr
            out[view][purl] = _traces_to(ran.stdout)
    by: dict[str, dict[str, set[Any]]] = {"country": {}, "organisation": {}}
    for facet in by:
        ran = auditor("origins", scan_id, "--by", facet, "--format", "json")
        for group in json.loads(ran.stdout)["groups"]:
            for member in group["components"]:
                by[facet].setdefault(member["purl"], set()).add(group["value"])
    out["origins"] = {
        p: {(o, c) for o in by["organisation"][p] for c in by["country"][p]} for p in purls
    }
    html = _report(auditor, scan_id, "html", tmp_path)
    rows = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                html, re.S).group(1))["rows"]  # type: ignore[union-attr]  # fmt: skip
    out["html"] = {r[10]: {(r[7] or None, r[8] or None)} for r in rows}
    chart = html[html.index('id="chart-country"') :]
    chart = chart[: chart.index("</figure>")]
    out["html summary"] = {
        label: int(n) for label, n in re.findall(r'data-bar="([^"]+)" data-value="(\d+)"', chart)
    }
    table = _report(auditor, scan_id, "table", tmp_path)
    line = next(x for x in table.splitlines() if x.strip().startswith("by country:"))
    out["table summary"] = {v: int(n) for v, n in re.findall(r"(\w+) (\d+)", line)}
    markdown = _report(auditor, scan_id, "markdown", tmp_path)
    out["markdown"] = {}
    for purl in purls:
        row = next(x for x in markdown.splitlines() if x.startswith(f"| {_md(names[purl])} |"))
        country = row.strip("|").split("|")[-1].strip()
        out["markdown"][purl] = {country if country != "-" else None}
    cdx = json.loads(_report(auditor, scan_id, "cyclonedx", tmp_path))
    out["cyclonedx"] = {}
    for c in cdx["components"]:
        if c.get("bom-ref") in purls:
            m = c.get("manufacturer") or {}
            out["cyclonedx"][c["bom-ref"]] = {
                (m.get("name"), (m.get("address") or {}).get("country"))
            }
    spdx = json.loads(_report(auditor, scan_id, "spdx", tmp_path))
    out["spdx"] = {}
    for p in spdx["packages"]:
        refs = [r["referenceLocator"] for r in p.get("externalRefs", ())]
        if refs and refs[0] in purls:
            originator = p.get("originator", "").removeprefix("Organization: ") or None
            found = re.search(r"traces to .*?\((\w\w)\)", p["comment"])
            out["spdx"][refs[0]] = {(originator, found.group(1) if found else None)}
    return out


def _report(auditor: Auditor, scan_id: str, fmt: str, tmp_path: Path) -> str:
    target = tmp_path / f"report.{fmt}"
    ran = auditor("report", scan_id, "--format", fmt, "--output", target)
    assert ran.code == 0, ran.stderr
    return target.read_text(encoding="utf-8")


def _md(text: str) -> str:
    from auditor.render.markdown import markdown_escape

    return markdown_escape(text)


def _traces_to(text: str) -> set[tuple[str | None, str | None]]:
    found = set()
    for m in re.finditer(r"traces to: (.+?), (\w\w|country unknown) \[", text):
        organisation = None if m.group(1) == "organisation unknown" else m.group(1)
        found.add((organisation, None if m.group(2) == "country unknown" else m.group(2)))
    return found


def assert_same_answer(answers: dict[str, Any], expected: dict[str, set[Any]]) -> None:
    """Every per-component view equals `expected`; the roll-ups count it the same way."""
    for view in ("json", "show", "why", "origins", "html", "cyclonedx", "spdx"):
        assert answers[view] == expected, view
    countries = {p: {c for _, c in v} for p, v in expected.items()}
    assert answers["markdown"] == countries, "markdown"
    counts: dict[str, int] = {}
    for values in countries.values():
        for c in values:
            counts[c or "unknown"] = counts.get(c or "unknown", 0) + 1
    assert answers["table summary"] == counts, "table summary"
    assert answers["html summary"] == counts, "html summary"


def _expected(doc: dict[str, Any], unvetted: set[Any]) -> dict[str, set[Any]]:
    return {
        _purl(doc, QUANT): {QWEN},
        _purl(doc, INSTRUCT): {QWEN},
        _purl(doc, UNVETTED): unvetted,
    }


def test_every_view_gives_the_same_answer_online_offline_and_with_the_hub_down(
    cache: tuple[Path, str],
    auditor: Auditor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    validate: Callable[[str], dict[str, Any]],
) -> None:
    target, url = cache
    # Online: the Hub's computed baseModels, three hops to the base it alone knows.
    online = _scan(auditor, target)
    validate(json.dumps(online))
    quant = next(c for c in online["components"] if c["name"] == QUANT)
    [root] = quant["origin"]["roots"]
    assert root["purl"] == f"pkg:huggingface/{BASE}" and root["strength"] == "registry"
    assert root["retrieved_at"] and len(root["path"]) == 3
    # The Hub's author of an unvetted account: known publisher, unknown organisation.
    assert_same_answer(views(auditor, online, tmp_path), _expected(online, {UNKNOWN}))
    # check-models on code naming the quantisation: the same root, from the cached answer.
    project = tmp_path / "project"
    project.mkdir()
    code = project / "serve.py"
    code.write_text(f'AutoModel.from_pretrained("{QUANT}", revision="{quant["version"]}")\n')
    (project / "auditor.toml").write_text('vetted_publishers = ["nobody"]\n')
    ran = auditor("check-models", code, "--policy", project / "auditor.toml")
    assert ran.code == 1
    assert f"lineage root (quantized): pkg:huggingface/{BASE}" in ran.stderr
    assert "organisation: Alibaba Group Holding Limited · country: CN [registry, fetched" in (
        ran.stderr
    )

    # Offline, from the store's cached answers: the same, still `registry`, with its age.
    cached = _scan(auditor, target, "--offline")
    answers = views(auditor, cached, tmp_path)
    assert_same_answer(answers, _expected(cached, {UNKNOWN}))
    show = auditor("show", cached["scan"]["id"], _purl(cached, QUANT)).stdout
    assert "[registry, registry answer fetched " in show

    # Offline with nothing cached, and with the Hub down: the files' declared lineage.
    for label, env in (("offline", None), ("hub down", _closed_port())):
        monkeypatch.setenv("AUDITOR_DB", f"sqlite:///{tmp_path / label}.db")
        if env is not None:
            monkeypatch.setenv("HF_ENDPOINT", env)
        doc = _scan(auditor, target, *(("--offline",) if env is None else ()))
        validate(json.dumps(doc))
        quant = next(c for c in doc["components"] if c["name"] == QUANT)
        assert quant["origin"]["status"] == ("skipped" if env is None else "unreachable")
        [root] = quant["origin"]["roots"]
        # Card → instruct (cached) → its card → base: declared hops, namespace `inferred`.
        assert root["purl"] == f"pkg:huggingface/{BASE}", label
        assert root["strength"] == "inferred" and root["retrieved_at"] is None, label
        assert [p.partition("@")[0] for p in root["path"]] == [
            f"pkg:huggingface/{n}" for n in (QUANT, INSTRUCT, BASE)
        ]
        assert_same_answer(views(auditor, doc, tmp_path), _expected(doc, {UNKNOWN}))
        show = auditor("show", doc["scan"]["id"], _purl(doc, QUANT)).stdout
        assert "-quantized, declared->" in show and "[inferred]" in show
    monkeypatch.setenv("HF_ENDPOINT", url)


def test_every_view_agrees_on_a_thousand_model_scan() -> None:
    """1,000 models in 100 families (tests/big_lineage.py): every view, through its own
    renderer, gives each component the family's root organisation and country."""
    import random

    from auditor.graph import ProvenanceGraph
    from auditor.graph_render import why_text
    from auditor.render import renderer
    from auditor.render.html_view import html_view
    from auditor.render.rollup import origin_rollup
    from auditor.render.show import component_report
    from tests.big_lineage import big_model_scan

    scan, expected = big_model_scan()
    assert len(scan.components) == 1000
    doc = json.loads(renderer("json").render(scan))
    assert {
        c["purl"]: {(r["organisation"], r["country"]) for r in c["origin"]["roots"]}
        for c in doc["components"]
    } == expected
    rows = html_view(scan).data["rows"]
    assert {r[10]: {(r[7] or None, r[8] or None)} for r in rows} == expected
    cdx = json.loads(renderer("cyclonedx").render(scan))
    manufacturers = {
        c["bom-ref"]: {
            ((c.get("manufacturer") or {}).get("name"),
             ((c.get("manufacturer") or {}).get("address") or {}).get("country"))
        }
        for c in cdx["components"]
    }  # fmt: skip
    assert manufacturers == expected
    spdx = json.loads(renderer("spdx").render(scan))
    originators = {
        p["externalRefs"][0]["referenceLocator"]: p.get("originator", "").removeprefix(
            "Organization: "
        )
        or None
        for p in spdx["packages"]
        if p.get("externalRefs") and "comment" in p and "traces to" in p["comment"]
    }
    assert originators == {p: next(iter(v))[0] for p, v in expected.items()}  # type: ignore[index]
    counts: dict[str, int] = {}
    for answer in expected.values():
        ((_, country),) = answer  # type: ignore[misc]
        counts[country or "unknown"] = counts.get(country or "unknown", 0) + 1
    rollup = dict(origin_rollup(scan).facets)
    assert {c.value: c.total for c in rollup["country"]} == counts
    groups = ProvenanceGraph.from_scan(scan, lineage_only=True).origins("country")
    assert {g.value or "unknown": g.total for g in groups} == counts
    graph = ProvenanceGraph.from_scan(scan)
    for purl in random.Random(26).sample(sorted(expected), 20):
        component = next(c for c in scan.components if c.purl == purl)
        want = {(o or "organisation unknown", c or "country unknown") for o, c in expected[purl]}  # type: ignore[misc]
        for text in (component_report(scan, component), why_text(graph, graph.why(purl))):
            got = set(re.findall(r"traces to: (.+?), (\w\w|country unknown) \[", text))
            assert got == want, purl
