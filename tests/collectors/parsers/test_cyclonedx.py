"""CycloneDX JSON and XML and syft JSON as targets, on SBOMs the real tools made here
(tests/data/sbom/README.md names each command) and the CycloneDX specification's published
examples (tests/data/sbom/published)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import purls
from auditor.collectors import Collected
from auditor.collectors.parsers import cyclonedx_json, cyclonedx_xml, parser_for, syft_json
from auditor.errors import ParseError
from auditor.model import ComponentKind, DependencyKind
from auditor.sbom.collect import REF_FIELD, to_collected
from auditor.sbom.cyclonedx import read_document
from auditor.sbom.syft import read_document as read_syft
from auditor.sources.directory import DirectoryTree

DATA = Path(__file__).parents[2] / "data" / "sbom"
PUBLISHED = DATA / "published"
LOCK = Path(__file__).parents[2] / "data" / "js" / "npm" / "v3" / "package-lock.json"


def _parse(path: Path) -> Collected:
    parser = parser_for(path.name, path.read_bytes()[:4096])
    assert parser is not None and parser.sbom
    return parser.parse(DirectoryTree("t", path.parent), path.name)


def _fields(c: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in c.evidence:
        found.setdefault(e.field, []).append(e.value)
    return found


def test_every_tool_made_sbom_of_the_python_app_gives_the_same_packages() -> None:
    """syft (CycloneDX JSON, XML, its own JSON), trivy and cyclonedx-py on
    examples/python-app: the same nine PyPI packages, whoever wrote the SBOM."""
    expected = None
    for name in (
        "python-app.syft.cdx.json",
        "python-app.syft.cdx.xml",
        "python-app.syft.json",
        "python-app.trivy.cdx.json",
        "python-app.cyclonedx-py.cdx.xml",
    ):
        found = _parse(DATA / name)
        pypi = sorted({c.purl for c in found.components if c.purl.startswith("pkg:pypi/")})
        expected = expected or pypi
        assert len(expected) == 9
        # trivy adds the uv.lock's own project (example-app) and its editable install
        assert set(expected) <= set(pypi) if "trivy" in name else pypi == expected, name
        assert all(_fields(c)[REF_FIELD] for c in found.components), name
        assert not found.diagnostics, name


def test_the_npm_sboms_match_the_lockfile_they_were_made_from() -> None:
    lock = json.loads(LOCK.read_text())
    names = {p.rpartition("node_modules/")[2] for p in lock["packages"] if p} | {lock["name"]}
    found_names = []
    for name in ("npm-v3.syft.json", "npm-v3.syft.cdx.xml"):
        found = _parse(DATA / name)
        found_names.append({c.name for c in found.components})
        assert found_names[-1] <= names, name  # syft leaves out dev packages
    assert found_names[0] == found_names[1] and len(found_names[0]) == 26  # 29 name@version
    syft = _parse(DATA / "npm-v3.syft.json")
    ansi = next(c for c in syft.components if c.name == "ansi-regex")
    # the lock entry's integrity, as syft records it, in our spelling
    assert ansi.hashes and ansi.hashes[0].startswith("sha512:")
    assert ansi.license == "MIT"
    assert _fields(ansi)["cpe"] == [
        "cpe:2.3:a:ansi-regex_project:ansi-regex:5.0.1:*:*:*:*:node.js:*:*"
    ]


def test_syft_guessed_cpes_are_not_claims() -> None:
    found = _parse(DATA / "python-app.syft.json")
    charset = next(c for c in found.components if c.name == "charset-normalizer")
    assert "cpe" not in _fields(charset)  # all of them `syft-generated`


def test_trivy_targets_without_purl_are_kept_as_stated() -> None:
    found = _parse(DATA / "python-app.trivy.cdx.json")
    files = [c for c in found.components if purls.is_sbom_only(c.purl)]
    assert {c.name for c in files} == {"requirements.txt", "uv.lock"}
    assert all(c.kind is ComponentKind.APPLICATION for c in files)


def test_cyclonedx_py_poetry_sbom_keeps_its_edges() -> None:
    found = _parse(DATA / "poetry-category.cyclonedx-py.cdx.json")
    assert len(found.components) == 10
    assert any(d.kind is DependencyKind.DEPENDS_ON for d in found.dependencies)


def test_published_ml_bom_json_and_xml_read_alike() -> None:
    for name in ("valid-machine-learning-1.6.json", "valid-machine-learning-1.7.xml"):
        (model,) = _parse(PUBLISHED / name).components
        assert model.kind is ComponentKind.MODEL, name
        assert model.name == "CompVis/stable-diffusion", name
        assert _fields(model)["publisher"] == ["Acme Inc"], name
        assert purls.is_sbom_only(model.purl), name


def test_published_services_become_service_components() -> None:
    for name in ("valid-service-1.7.json", "valid-service-1.6.xml"):
        found = _parse(PUBLISHED / name)
        (service,) = [c for c in found.components if c.kind is ComponentKind.SERVICE]
        assert service.purl == "pkg:generic/ai-service/partner-org/Stock%20ticker%20service"
        fields = _fields(service)
        assert fields["supplier"] == ["Partner Org"]
        assert "https://partner.org/api/v1/lookup" in fields["endpoint"]


def test_saasbom_nested_services_are_flattened() -> None:
    found = _parse(PUBLISHED / "saasbom-apigateway.cdx.json")
    names = sorted(c.name for c in found.components)
    assert "acme-inc/API Gateway" in names and "acme-inc/Microservice 1" in names


def test_published_pedigree_ancestor_is_declared_evidence() -> None:
    (library,) = _parse(PUBLISHED / "valid-patch-1.6.json").components
    assert _fields(library)["pedigree.ancestors"] == ["org.example/sample-library@1.0.0"]


def test_hand_made_quantised_model_traces_to_its_base() -> None:
    found = _parse(DATA / "quantised-llama.mlbom.cdx.json")
    model = next(c for c in found.components if c.kind is ComponentKind.MODEL)
    assert model.purl == "pkg:huggingface/TheBloke/Llama-2-7B-GGUF"
    fields = _fields(model)
    assert fields["supplier"] == ["Example Vendor Ltd"] and fields["publisher"] == ["TheBloke"]
    edges = {(d.source, d.target, d.kind) for d in found.dependencies}
    base = "pkg:huggingface/meta-llama/Llama-2-7b-hf"
    assert (model.purl, base, DependencyKind.DERIVED_FROM) in edges
    gguf = next(c for c in found.components if c.name == "llama-2-7b.Q4_K_M.gguf")
    assert (model.purl, gguf.purl, DependencyKind.CONTAINS) in edges
    data = next(c for c in found.components if c.kind is ComponentKind.DATASET)
    assert data.name == "llama-2-pretraining-data"
    service = next(c for c in found.components if c.kind is ComponentKind.SERVICE)
    assert service.purl == "pkg:generic/ai-service/openai/text-embedding-3-small"
    assert {c.name: c.direct for c in found.components}["llama-cpp-python"] is True


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("invalid-component-type-1.6.json", 'components/0/type: "foo" is not one of'),
        ("invalid-hash-alg-1.6.xml", "line 9:"),
    ],
)
def test_schema_invalid_documents_name_the_violation(name: str, says: str) -> None:
    with pytest.raises(ParseError) as raised:
        _parse(PUBLISHED / name)
    assert says in raised.value.reason
    assert raised.value.reason.startswith("not a valid CycloneDX 1.6 document")


def test_an_extra_property_is_read_with_a_diagnostic(tmp_path: Path) -> None:
    doc = json.loads((PUBLISHED / "valid-service-1.7.json").read_text())
    doc["components"][0]["x-vendor-field"] = {"anything": 1}
    (tmp_path / "vendor.cdx.json").write_text(json.dumps(doc))
    found = _parse(tmp_path / "vendor.cdx.json")
    assert len(found.components) == 2
    (note,) = found.diagnostics
    assert "defines no property components/0/x-vendor-field" in note.message


def test_a_duplicate_bom_ref_is_refused(tmp_path: Path) -> None:
    doc = json.loads((DATA / "quantised-llama.mlbom.cdx.json").read_text())
    doc["components"][1]["bom-ref"] = "llama-cpp-python"  # the data component's, now twice
    (tmp_path / "bom.json").write_text(json.dumps(doc))
    with pytest.raises(ParseError, match="bom-ref 'llama-cpp-python' is given to more"):
        _parse(tmp_path / "bom.json")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]>'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>&a;</components></bom>',
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6">'
        + b"<a>" * 200
        + b"</a>" * 200
        + b"</bom>",
        b"<bom xmlns='http://cyclonedx.org/schema/bom/1.6'><unclosed></bom>",
    ],
)
def test_hostile_xml_is_refused(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "bom.xml").write_bytes(body)
    with pytest.raises(ParseError):
        cyclonedx_xml.parse(DirectoryTree("t", tmp_path), "bom.xml")


def test_sniffing_tells_the_formats_apart() -> None:
    heads = {p.name: p.read_bytes()[:4096] for p in DATA.iterdir() if p.is_file()}
    assert cyclonedx_json.sniff(heads["python-app.trivy.cdx.json"])
    assert cyclonedx_xml.sniff(heads["python-app.syft.cdx.xml"])
    assert syft_json.sniff(heads["python-app.syft.json"])
    assert not cyclonedx_json.sniff(heads["python-app.syft.json"])
    assert not syft_json.sniff(heads["python-app.trivy.cdx.json"])


def test_a_renamed_sbom_is_found_by_content(tmp_path: Path) -> None:
    shutil.copy(DATA / "python-app.syft.cdx.json", tmp_path / "vendor-sbom.json")
    parser = parser_for("vendor-sbom.json", (tmp_path / "vendor-sbom.json").read_bytes()[:4096])
    assert parser is not None and parser.name == "cyclonedx-json"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["bom-ref", "name", "version", "purl", "type", "components", "hashes",
                         "alg", "content", "supplier", "authors", "pedigree", "ancestors",
                         "services", "endpoints", "provider", "dependencies", "ref",
                         "dependsOn", "licenses", "license", "id", "metadata", "component",
                         "tools", "artifacts", "artifactRelationships", "parent", "child",
                         "cpes", "cpe", "source", "metadata", "integrity", "author"]),
        inner, max_size=6),
    max_leaves=40,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_arbitrary_json_never_tracebacks_in_the_readers(data: object) -> None:
    """Whatever the schema lets through meets only the readers'
    own type checks."""
    doc = data if isinstance(data, dict) else {"components": data}
    for read in (read_document, read_syft):
        found = to_collected(read(doc, "bom.json"), "test")
        assert all(c.purl.startswith("pkg:") for c in found.components)
