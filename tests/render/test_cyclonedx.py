"""`--format cyclonedx`: every BOM passes cyclonedx-python-lib's strict 1.6 validator and
says the same as the scan it came from (purls, hashes, licences, the dependency graph)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from auditor import purls
from auditor.collectors.parsers import parser_for
from auditor.config import Config
from auditor.errors import Diagnostic
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Location,
    Origin,
    OriginStatus,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.pipeline import run_scan
from auditor.render.cyclonedx import CycloneDxRenderer, serial_number
from tests.conftest import DATA, REPO, Ran

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)
CDX_HASH = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def render(scan: Scan) -> dict[str, Any]:
    """Render, validate strictly, and check the BOM against the scan it came from."""
    text = CycloneDxRenderer().render(scan)
    return check(text, scan)


def check(text: str, scan: Scan) -> dict[str, Any]:
    errors = VALIDATOR.validate_str(text, all_errors=True)
    assert errors is None, "\n".join(str(e) for e in list(errors)[:5])
    bom: dict[str, Any] = json.loads(text)
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"] == f"urn:uuid:{serial_number(scan.id)}"
    started = datetime.fromisoformat(scan.started_at)
    assert datetime.fromisoformat(bom["metadata"]["timestamp"]) == started
    tools = bom["metadata"]["tools"]["components"]
    assert [(t["name"], t["version"]) for t in tools] == [("origin-auditor", scan.tool_version)]
    meta = _props(bom["metadata"])
    assert meta["auditor:scan:diagnostics"] == [str(len(scan.diagnostics))]
    assert meta["auditor:scan:status"] == [scan.status.value]

    components = list(_walk(bom.get("components", [])))
    described = bom["metadata"]["component"]
    nested = list(_walk(described.get("components", [])))
    every = [*components, *nested, described]
    refs = [c["bom-ref"] for c in every]
    assert len(refs) == len(set(refs)), "bom-refs are unique"
    by_ref = {c["bom-ref"]: c for c in every}
    # Every inventory purl once, as a top-level component whose bom-ref is the purl; a
    # hosted AI service is called, not shipped: one of the BOM's `services` instead.
    shipped = [c for c in scan.components if c.kind is not ComponentKind.SERVICE]
    called = {c.purl for c in scan.components if c.kind is ComponentKind.SERVICE}
    assert {s["bom-ref"] for s in bom.get("services", [])} == called
    refs += sorted(called)
    assert sorted(c["purl"] for c in components) == sorted(
        {*(c.purl for c in shipped), *_missing_targets(scan)}
    )
    for c in shipped:
        out = by_ref[c.purl]
        assert out["purl"] == c.purl
        assert out["name"] == c.name
        assert out.get("version") == c.version
        hashes = {f"{CDX_HASH[h['alg']]}:{h['content']}" for h in out.get("hashes", [])}
        assert hashes | set(_props(out).get("auditor:hash", [])) == set(c.hashes)
        _check_licence(out.get("licenses", []), c.license)
        assert len(out.get("evidence", {}).get("occurrences", [])) == len(c.locations)

    # The graph: each dependsOn equals the scan's depends_on edges; the described
    # component adds only its links to roots and direct components.
    graph = {d["ref"]: set(d.get("dependsOn", [])) for d in bom.get("dependencies", [])}
    expected: dict[str, set[str]] = {}
    for d in scan.dependencies:
        if d.kind is DependencyKind.DEPENDS_ON:
            expected.setdefault(d.source, set()).add(d.target)
    top = graph.pop(described["bom-ref"])
    assert {ref: deps for ref, deps in graph.items() if deps} == expected
    assert set(graph) | {described["bom-ref"]} >= set(refs) - {t["bom-ref"] for t in nested}
    # A project root is a source that is neither listed nor depended upon.
    roots = set(expected) - {c.purl for c in scan.components} - _missing_targets(scan)
    assert roots <= top
    assert {c.purl for c in scan.components if c.direct} <= top
    assert {c.purl for c in scan.components} <= _reachable(top, graph)
    return bom


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _walk(item.get("components", []))


def _props(item: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in item.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def _missing_targets(scan: Scan) -> set[str]:
    """Ends of `depends_on` edges the inventory lacks (a lineage base the inventory lacks is a
    `pedigree.ancestors` entry of its derivative instead)."""
    listed = {c.purl for c in scan.components}
    return {
        d.target
        for d in scan.dependencies
        if d.target not in listed and d.kind is DependencyKind.DEPENDS_ON
    }


def _check_licence(out: list[dict[str, Any]], declared: str | None) -> None:
    if not (declared or "").strip():
        assert out == []
        return
    assert declared is not None
    [entry] = out
    if "expression" in entry:
        assert entry["expression"] == declared.strip()
    elif "id" in entry["license"]:
        assert entry["license"]["id"].lower() == declared.strip().lower()
    elif "text" in entry["license"]:
        assert entry["license"]["text"]["content"] == declared.strip()
    else:
        assert entry["license"]["name"] == declared.strip()


def _reachable(start: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        ref = todo.pop()
        if ref not in seen:
            seen.add(ref)
            todo.extend(graph.get(ref, ()))
    return seen


# --- real collector output ----------------------------------------------------------------


def _lockfiles() -> list[Path]:
    """Every test-data file a registered parser reads (more as parsers land), but SBOMs:
    a scan of one is written back as the vendor's own document (tests/render/
    test_sbom_writeback_*.py, tests/test_cli_sbom_writeback.py)."""
    return [
        p
        for p in sorted(DATA.rglob("*"))
        if p.is_file()
        and (parser := parser_for(p.name, p.read_bytes()[:4096])) is not None
        and not parser.sbom
    ]


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param([REPO / "examples"], id="examples"),
        pytest.param([DATA], id="tests-data"),
        pytest.param([REPO / "examples", *_lockfiles()[:2]], id="several-targets"),
    ],
)
def test_real_scans_are_valid_and_complete(targets: list[Path]) -> None:
    scan = run_scan([str(t) for t in targets], Config(no_resolve=True, store=False))
    assert scan.components, "the inputs hold packages"
    bom = render(scan)
    described = bom["metadata"]["component"]
    if len(targets) == 1:
        assert described["name"] == str(targets[0])
        assert _props(described)["auditor:target:kind"] == ["directory"]
    else:
        assert [c["name"] for c in described["components"] if "purl" not in c] == sorted(
            str(t) for t in targets
        )
    hashed = [c for c in bom["components"] if c.get("hashes")]
    assert hashed, "lockfiles with hashes give hashed components"


@pytest.mark.parametrize("lockfile", _lockfiles(), ids=lambda p: str(p.relative_to(DATA)))
def test_each_lockfile_alone(lockfile: Path) -> None:
    scan = run_scan([str(lockfile)], Config(no_resolve=True, store=False))
    bom = render(scan)
    described = bom["metadata"]["component"]
    assert described["type"] == "file"
    assert [h["content"] for h in described["hashes"]] == [scan.targets[0].digest[7:]]


# --- hand-built scans with tricky content ------------------------------------------------

SCAN_ID = "0b9d7c9e-4f7e-4c8e-9a1e-2f0e6a1d5c3b"
TARGET = Target("proj/", TargetKind.DIRECTORY, "directory:/proj", "sha256:" + "c" * 64)


def _scan(components: tuple[Component, ...], **kw: Any) -> Scan:
    fields: dict[str, Any] = {
        "id": SCAN_ID,
        "started_at": "2026-11-28T12:00:00.000Z",
        "finished_at": "2026-11-28T12:00:01.500Z",
        "status": ScanStatus.COMPLETE,
        "tool_version": "0.1.0",
        "targets": (TARGET,),
        "components": components,
    }
    fields.update(kw)
    return Scan(**fields)


def _lib(purl: str, name: str, version: str | None, **kw: Any) -> Component:
    return Component(purl, ComponentKind.LIBRARY, name, version, **kw)


def _purl(kind: str, namespace: str | None, name: str, version: str | None, **q: str) -> str:
    return str(PackageURL(kind, namespace, name, version, q or None).to_string())


SCOPED = purls.npm("@scope/näme", "1.0.0")
UNPINNED = purls.pypi("Flask", None)
MODEL = _purl("huggingface", "Org", "Modèle", "9" * 40)
WEIGHTS = _purl("generic", None, "w.gguf", None, checksum="sha256:" + "1" * 64)
DEB = _purl("deb", "debian", "openssl", "3.0.15-1", arch="amd64")
TRICKY = (
    _lib(
        purls.pypi("foo", "1.0"),
        "foo",
        "1.0",
        hashes=("md5:" + "d" * 32, "sha256:" + "a" * 64, "sha384:" + "b" * 96),
        license="MIT OR Apache-2.0",
        direct=True,
        locations=(Location("proj/", "uv.lock", 3), Location("img", "x/uv.lock", 9, "sha256:1")),
        found_by="uv-lock",
    ),
    _lib(purls.pypi("foo", "2.0"), "foo", "2.0", hashes=("sha512:" + "e" * 128,), license="mit"),
    _lib(purls.npm("foo", "1.0"), "foo", "1.0", license="Proprietary ünïcödé ©"),
    _lib(SCOPED, "@scope/näme", "1.0.0", hashes=("sha256:short", "sha1:" + "f" * 40)),
    _lib(UNPINNED, "Flask", None, license="BSD License\n\nRedistribution and use …\n"),
    Component(MODEL, ComponentKind.MODEL, "Org/Modèle", "9" * 40),
    Component(WEIGHTS, ComponentKind.WEIGHTS, "w.gguf", None),
    Component(DEB, ComponentKind.OS_PACKAGE, "openssl", "3.0.15-1"),
    Component(_purl("huggingface", None, "d", "2" * 40), ComponentKind.DATASET, "d", "2" * 40),
)
ROOT = purls.pypi("proj", "0.1.0")
TRICKY_DEPS = (
    Dependency(ROOT, TRICKY[0].purl),
    Dependency(ROOT, UNPINNED, scope="group:dev"),
    Dependency(TRICKY[0].purl, SCOPED, marker='sys_platform == "linux"'),
    Dependency(TRICKY[0].purl, purls.pypi("ghost", "9.9")),  # its own entry is missing
    Dependency(UNPINNED, TRICKY[1].purl),
    Dependency(TRICKY[1].purl, UNPINNED),  # a cycle
    Dependency(TRICKY[5].purl, TRICKY[8].purl, DependencyKind.DERIVED_FROM),
)
FULL_ORIGIN = Origin(
    TRICKY[0].purl,
    OriginStatus.RESOLVED,
    publisher=Claim("psf", Strength.REGISTRY),
    repository=Claim("https://github.com/o/ré", Strength.ATTESTED),
    organisation=Claim("Org «GmbH»", Strength.INFERRED),
    country=Claim("DE", Strength.INFERRED),
    conflicts=("metadata claims https://github.com/x/y",),
)


def test_tricky_content() -> None:
    scan = _scan(
        TRICKY,
        dependencies=TRICKY_DEPS,
        origins=(FULL_ORIGIN, Origin(TRICKY[1].purl, OriginStatus.UNREACHABLE, "timeout")),
        diagnostics=(Diagnostic("a/uv.lock:3", "bad"), Diagnostic("b", "worse")),
        status=ScanStatus.PARTIAL,
    )
    bom = render(scan)
    by_ref = {c["bom-ref"]: c for c in _walk(bom["components"])}
    first = by_ref[TRICKY[0].purl]
    props = _props(first)
    assert props["auditor:origin:status"] == ["resolved"]
    assert props["auditor:origin:repository"] == ["https://github.com/o/ré"]
    assert props["auditor:origin:repository:strength"] == ["attested"]
    assert props["auditor:origin:publisher:strength"] == ["registry"]
    assert props["auditor:origin:organisation"] == ["Org «GmbH»"]
    assert props["auditor:origin:country"] == ["DE"]
    assert props["auditor:origin:conflict"] == list(FULL_ORIGIN.conflicts)
    assert props["auditor:direct"] == ["true"]
    assert first["externalReferences"] == [{"type": "vcs", "url": "https://github.com/o/ré"}]
    assert first["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert {o["line"] for o in first["evidence"]["occurrences"]} == {3, 9}
    assert _props(by_ref[TRICKY[1].purl])["auditor:origin:reason"] == ["timeout"]
    assert by_ref[TRICKY[1].purl]["licenses"] == [{"license": {"id": "MIT"}}]
    assert _props(by_ref[SCOPED])["auditor:hash"] == ["sha256:short"]
    assert by_ref[SCOPED]["purl"].startswith("pkg:npm/%40scope/n%")
    assert "version" not in by_ref[UNPINNED]
    assert by_ref[UNPINNED]["licenses"][0]["license"]["name"] == "BSD License"
    kinds = {c["name"]: c["type"] for c in bom["components"]}
    assert kinds["Org/Modèle"] == "machine-learning-model"
    assert (kinds["d"], kinds["w.gguf"], kinds["openssl"]) == ("data", "file", "library")
    ghost = by_ref[purls.pypi("ghost", "9.9")]
    assert _props(ghost)["auditor:inventory"] == ["referenced"]
    [root] = bom["metadata"]["component"]["components"]
    assert (root["purl"], root["type"]) == (ROOT, "application")
    assert _props(root)["auditor:inventory"] == ["project-root"]
    assert _props(bom["metadata"])["auditor:scan:diagnostics"] == ["2"]


def test_output_is_deterministic_and_serial_number_follows_the_scan_id() -> None:
    scan = _scan(TRICKY, dependencies=TRICKY_DEPS)
    first = CycloneDxRenderer().render(scan)
    assert CycloneDxRenderer().render(scan) == first
    assert json.loads(first)["serialNumber"] == f"urn:uuid:{SCAN_ID}"
    # A scan id that is no UUID (none of ours; a hand-made or imported one) still gives
    # one fixed serial number, and two ids never share one.
    one, two = (render(_scan(TRICKY, id=i))["serialNumber"] for i in ("scan-1", "scan-2"))
    assert one == render(_scan(TRICKY, id="scan-1"))["serialNumber"] != two


def test_empty_scan_and_several_targets() -> None:
    render(_scan(()))
    lockfile = Target("a/uv.lock", TargetKind.LOCKFILE, "lockfile:/a/uv.lock", "sha256:" + "0" * 64)
    bom = render(_scan(TRICKY[:2], targets=(TARGET, lockfile)))
    described = bom["metadata"]["component"]
    assert described["name"] == "2 targets"
    types = {c["name"]: c["type"] for c in described["components"]}
    assert types == {"proj/": "application", "a/uv.lock": "file"}


names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20)


@st.composite
def scans(draw: st.DrawFn) -> Scan:
    """Arbitrary text in every free-text field, arbitrary graphs over arbitrary purls."""
    count = draw(st.integers(0, 6))
    components = []
    for i in range(count):
        name = draw(names)
        version = draw(st.none() | names)
        # Canonical, as our collectors' purls are: built, parsed back and printed again.
        built = PackageURL("generic", None, f"{i}{name}", version).to_string()
        purl = PackageURL.from_string(built).to_string()
        licence = draw(st.none() | names | st.sampled_from(["MIT", "GPL-2.0-or-later OR MIT"]))
        kind = draw(st.sampled_from(list(ComponentKind)))
        components.append(
            Component(
                purl, kind, name, version, license=licence, direct=draw(st.none() | st.booleans())
            )
        )
    pool = [c.purl for c in components] + ["pkg:generic/root", "pkg:generic/ghost"]
    edges = draw(st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(pool)), max_size=10))
    deps = tuple(dict.fromkeys(Dependency(a, b) for a, b in edges if a != b))
    return _scan(tuple(sorted(components, key=lambda c: c.purl)), dependencies=deps)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(scans())
def test_any_scan_gives_a_valid_bom(scan: Scan) -> None:
    render(scan)


# --- the command line ---------------------------------------------------------------------


def test_cli_scan_and_report(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    ran = auditor("scan", REPO / "examples", "--no-resolve", "--format", "cyclonedx", "-o", out)
    assert ran.code == 0, ran.stderr
    text = out.read_text(encoding="utf-8")
    assert VALIDATOR.validate_str(text) is None
    bom = json.loads(text)
    assert len(bom["components"]) > 5
    scan_id = bom["serialNumber"].removeprefix("urn:uuid:")
    # The stored scan renders to the very same BOM: nothing is lost in the store.
    again = auditor("report", scan_id, "--format", "cyclonedx")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout) == bom
