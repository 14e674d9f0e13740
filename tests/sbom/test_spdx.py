"""SPDX 2.2/2.3 (JSON, tag-value) and SPDX 3.0 JSON-LD readers on real documents: ones syft
and trivy wrote here from the project's own inputs, and the SPDX example repository's
(tests/data/sbom/spdx/README.md names each)."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors.parsers import (
    parser_for,
    registered_for,
    spdx3_jsonld,
    spdx_json,
    spdx_tag_value,
)
from auditor.errors import ParseError
from auditor.model import ComponentKind
from auditor.sbom import spdx2, spdx3
from auditor.sbom.collect import REF_FIELD
from auditor.sources.directory import DirectoryTree
from tests.conftest import Ran

DATA = Path(__file__).parents[1] / "data" / "sbom" / "spdx"
PUBLISHED = DATA / "published"


def _read2(path: Path) -> tuple[spdx2.SbomDocument, tuple[object, ...]]:
    text = path.read_text()
    reader = spdx2.read_json if path.name.endswith(".json") else spdx2.read_tag_value
    return reader(text, path.name)


def _purls(path: Path) -> set[str]:
    return {e.purl for e in _read2(path)[0].entries if e.purl}


def test_json_and_tag_value_from_the_same_tool_agree() -> None:
    for stem in ("npm-v3.syft", "python-uv.trivy"):
        from_json, _ = _read2(DATA / f"{stem}.spdx.json")
        from_tv, _ = _read2(DATA / f"{stem}.spdx")
        assert {e.ref: e.purl for e in from_json.entries} == {
            e.ref: e.purl for e in from_tv.entries
        }
        assert {(e.ref, e.licences) for e in from_json.entries} == {
            (e.ref, e.licences) for e in from_tv.entries
        }
        assert set(from_json.dependencies) == set(from_tv.dependencies)
        assert from_json.subject == from_tv.subject


def test_trivy_packages_their_purls_and_dependency_edges() -> None:
    doc, diagnostics = _read2(DATA / "python-uv.trivy.spdx.json")
    assert doc.spec_version == "SPDX-2.3" and doc.format == "spdx"
    assert "Tool: trivy-0.76.0" in doc.creators
    purls = _purls(DATA / "python-uv.trivy.spdx.json")
    assert "pkg:pypi/certifi@2026.10.19.post1" in purls
    lock = json.loads((DATA / "python-uv.trivy.spdx.json").read_text())
    stated = {
        (r["spdxElementId"], r["relatedSpdxElement"])
        for r in lock["relationships"]
        if r["relationshipType"] == "DEPENDS_ON"
    }
    assert stated and stated <= set(doc.dependencies)
    assert diagnostics == ()


def test_syft_spdx_2_2_reads_its_packages_and_cpes() -> None:
    doc, _ = _read2(DATA / "anthropic-sdk.syft22.spdx.json")
    assert doc.spec_version == "SPDX-2.2"
    anyio = next(e for e in doc.entries if e.name == "anyio")
    assert anyio.purl == "pkg:pypi/anyio@4.12.1"
    assert "cpe:2.3:a:anyio:anyio:4.12.1:*:*:*:*:*:*:*" in anyio.cpes


def test_supplier_and_originator_are_parties_and_noassertion_none() -> None:
    doc, _ = _read2(PUBLISHED / "appbomination.spdx.json")
    app = next(e for e in doc.entries if e.ref == "SPDXRef-1")
    assert [(p.name, p.role) for p in app.parties] == [
        ("ACT Project", "supplier"),
        ("Yevester", "originator"),
    ]
    assert app.hashes == ("sha1:498cebd51a4483d6e68c2fc62d27008252fa4f7b",)
    assert app.licences == ("Apache-2.0",)
    slf4j = next(e for e in doc.entries if e.name == "slf4j-api")
    assert slf4j.purl == "pkg:maven/org.slf4j/slf4j-api@1.7.21"
    trivy, _ = _read2(DATA / "python-uv.trivy.spdx.json")
    assert all(not e.parties for e in trivy.entries)  # every supplier is NOASSERTION


def test_tag_value_lines_and_containment() -> None:
    doc, _ = _read2(PUBLISHED / "example6-lib.spdx")
    go = next(e for e in doc.entries if e.ref == "SPDXRef-Package-go-compiler")
    lines = (PUBLISHED / "example6-lib.spdx").read_text().splitlines()
    assert lines[go.line - 1].strip() == "SPDXID: SPDXRef-Package-go-compiler"
    assert go.parent_ref == "SPDXRef-Package-godist" == doc.subject


def test_organisation_supplier_with_email() -> None:
    text = (DATA / "python-uv.trivy.spdx.json").read_text()
    data = json.loads(text)
    data["packages"][2]["supplier"] = "Organization: ACME Corp (legal@acme.invalid)"
    data["packages"][2]["originator"] = "Person: Jane Doe"
    doc, _ = spdx2.read_json(json.dumps(data), "x.spdx.json")
    entry = next(e for e in doc.entries if e.ref == data["packages"][2]["SPDXID"])
    assert [(p.name, p.role, p.email) for p in entry.parties] == [
        ("ACME Corp", "supplier", "legal@acme.invalid"),
        ("Jane Doe", "originator", None),
    ]


def test_validation_messages_are_diagnostics_not_a_rejection() -> None:
    doc, diagnostics = _read2(DATA / "npm-v3.syft.spdx.json")
    assert len(doc.entries) == 30
    assert any("download_location" in d.message for d in diagnostics)


def test_large_documents_are_checked_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above FULL_CHECK elements spdx-tools is not run; the result is the same document."""
    path = DATA / "python-uv.trivy.spdx.json"
    small, _ = _read2(path)
    monkeypatch.setattr(spdx2, "FULL_CHECK", 3)
    large, diagnostics = _read2(path)
    assert large == small
    assert "not run through the spdx-tools validator" in diagnostics[0].message
    data = json.loads(path.read_text())
    data["relationships"].append(
        {
            "spdxElementId": "SPDXRef-nowhere",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": data["packages"][0]["SPDXID"],
        }
    )
    _, diagnostics = spdx2.read_json(json.dumps(data), "x.spdx.json")
    assert any("SPDXRef-nowhere" in d.message for d in diagnostics)
    data["packages"][0]["checksums"] = "sha256"
    with pytest.raises(ParseError, match=r"packages\[0\].*checksums"):
        spdx2.read_json(json.dumps(data), "x.spdx.json")


@pytest.mark.parametrize(
    ("text", "name", "match", "line"),
    [
        ('{"spdxVersion": "SPDX-2.3", "packages": [', "x.spdx.json", "not valid JSON", 1),
        (
            '{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}',
            "x.spdx.json",
            "CreationInfo",
            None,
        ),
        ("[]", "x.spdx.json", "not an SPDX 2 JSON document", None),
        (
            "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
            "DocumentName: x\nDocumentNamespace: https://example.invalid/x\n"
            "Creator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n\nPackageName: p\n"
            "SPDXID: SPDXRef-p\nPackageDownloadLocation: NOASSERTION\n"
            "PackageChecksum: SHA256 zz\n",
            "x.spdx",
            "PackageChecksum",
            12,
        ),
    ],
)
def test_unusable_documents_name_file_line_and_problem(
    text: str, name: str, match: str, line: int | None
) -> None:
    reader = spdx2.read_json if name.endswith(".json") else spdx2.read_tag_value
    with pytest.raises(ParseError, match=match) as caught:
        reader(text, name)
    assert caught.value.path == name and caught.value.line == line


# SPDX 3.0 JSON-LD


def _read3(name: str) -> spdx3.SbomDocument:
    return spdx3.read((PUBLISHED / name).read_text(), name)


def test_ai_and_dataset_profile_packages() -> None:
    doc = _read3("simplehtr-example.spdx3.json")
    assert doc.spec_version == "3.0.1"
    kinds = {e.kind for e in doc.entries}
    assert {"ai_AIPackage", "dataset_DatasetPackage"} <= kinds
    model = next(e for e in doc.entries if e.kind == "ai_AIPackage")
    assert "Harald Scheidl" in {p.name for p in model.parties}
    dataset = next(e for e in doc.entries if e.kind == "dataset_DatasetPackage")
    graph = json.loads((PUBLISHED / "simplehtr-example.spdx3.json").read_text())["@graph"]
    trained = [
        (r["from"], t)
        for r in graph
        if r.get("type") == "Relationship" and r["relationshipType"] == "trainedOn"
        for t in r["to"]
    ]
    assert (model.ref, dataset.ref) in trained or any(
        (e.ref, dataset.ref) in trained for e in doc.entries if e.kind == "ai_AIPackage"
    )
    assert set(trained) <= set(doc.dependencies)


def test_dataset_supplier_originator_hashes_and_licence() -> None:
    doc = _read3("owid-co2-dataset.spdx3.json")
    (dataset,) = doc.entries
    assert dataset.kind == "dataset_DatasetPackage" and dataset.version == "2024-04-15"
    assert {(p.name, p.role) for p in dataset.parties} == {
        ("Our World in Data", "supplier"),
        ("Our World in Data", "originator"),
    }
    assert "sha1:32657f0d033fc07a7420be36a6af9083c6a63489" in dataset.hashes
    assert dataset.licences == ("CC-BY-4.0",)
    assert doc.subject == dataset.ref


def test_generates_is_lineage_and_contains_is_the_parent() -> None:
    maven = _read3("examplemaven-0.0.1-enriched.spdx3.json")
    graph = json.loads((PUBLISHED / "examplemaven-0.0.1-enriched.spdx3.json").read_text())
    (generates,) = [r for r in graph["@graph"] if r.get("relationshipType") == "generates"]
    by_ref = {e.ref: e for e in maven.entries}
    if generates["from"] in by_ref:
        source = by_ref[generates["from"]]
        for target in generates["to"]:
            if target in by_ref:
                assert (source.purl or source.name) in by_ref[target].ancestors
    acme = _read3("example13.spdx3.json")
    elliptic = next(e for e in acme.entries if e.name == "npm-elliptic")
    assert elliptic.parent_ref == acme.subject
    assert [(p.name, p.role) for p in elliptic.parties] == [("Fedor Indutny", "supplier")]


def test_purl_from_package_url_and_external_identifier() -> None:
    doc = spdx3.read(json.dumps(_graph([
        {"type": "software_Package", "spdxId": "urn:a", "name": "a",
         "software_packageUrl": "pkg:pypi/a@1"},
        {"type": "ai_AIPackage", "spdxId": "urn:m", "name": "m",
         "externalIdentifier": [
             {"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl",
              "identifier": "pkg:huggingface/org/m@0123456789abcdef0123456789abcdef01234567"},
             {"type": "ExternalIdentifier", "externalIdentifierType": "cpe23",
              "identifier": "cpe:2.3:a:org:m:1:*:*:*:*:*:*:*"}],
         "verifiedUsing": [{"type": "Hash", "algorithm": "sha3_256", "hashValue": "AB"}],
         "suppliedBy": "urn:org"},
        {"type": "Organization", "spdxId": "urn:org", "name": "Org Inc",
         "externalIdentifier": [{"type": "ExternalIdentifier",
                                 "externalIdentifierType": "email",
                                 "identifier": "x@org.invalid"}]},
        {"type": "Relationship", "spdxId": "urn:r", "from": "urn:m",
         "relationshipType": "descendantOf", "to": ["urn:a"]},
    ])), "x.spdx3.json")  # fmt: skip
    a, m = doc.entries
    assert a.purl == "pkg:pypi/a@1" and m.purl.startswith("pkg:huggingface/org/m@")
    assert m.cpes == ("cpe:2.3:a:org:m:1:*:*:*:*:*:*:*",)
    assert m.hashes == ("sha3-256:ab",)
    assert m.parties[0].name == "Org Inc" and m.parties[0].email == "x@org.invalid"
    assert m.ancestors == ("pkg:pypi/a@1",)


def _graph(elements: list[dict[str, object]]) -> dict[str, object]:
    return {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": elements}


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ({"@graph": []}, "not SPDX 3 JSON-LD"),
        (
            _graph([{"type": "software_Package", "name": "x"}]),
            r"@graph\[0\]: a software_Package needs an spdxId",
        ),
        (_graph([{"type": "software_Package", "spdxId": "urn:x", "name": 3}]), r"\(urn:x\): name"),
        (
            _graph([{"type": "Relationship", "spdxId": "urn:r", "from": "urn:a", "to": []}]),
            "needs from",
        ),
        (
            _graph(
                [
                    {
                        "type": "software_Package",
                        "spdxId": "urn:x",
                        "verifiedUsing": [{"type": "Hash"}],
                    }
                ]
            ),
            "verifiedUsing",
        ),
        (_graph(["x"]), r"@graph\[0\]: expected an object"),
    ],
)
def test_spdx3_documents_breaking_the_model_are_refused(
    document: dict[str, object], match: str
) -> None:
    with pytest.raises(ParseError, match=match):
        spdx3.read(json.dumps(document, indent=2), "x.spdx3.json")


# The parsers: names, sniffing, Collected


def test_registry_names_and_sniffing() -> None:
    assert registered_for("vendor/app.spdx.json").name == "spdx-json"
    assert registered_for("app.spdx").name == "spdx-tag-value"
    assert registered_for("app.spdx3.json").name == "spdx3-jsonld"
    assert registered_for("app.spdx.jsonld").name == "spdx3-jsonld"
    head = (PUBLISHED / "ACME-v2.3.spdx.json").read_bytes()[:4096]
    assert parser_for("sbom.json", head) is spdx_json.PARSER
    head = (PUBLISHED / "example6-lib.spdx").read_bytes()[:4096]
    assert parser_for("sbom.txt", head) is spdx_tag_value.PARSER
    head = (PUBLISHED / "sentimentdemo.spdx3.json").read_bytes()[:4096]
    assert parser_for("sbom.json", head) is spdx3_jsonld.PARSER


def test_parsers_give_components_with_their_refs_and_declared_parties(tmp_path: Path) -> None:
    shutil.copy(PUBLISHED / "appbomination.spdx.json", tmp_path)
    shutil.copy(PUBLISHED / "owid-co2-dataset.spdx3.json", tmp_path)
    tree = DirectoryTree("t", tmp_path)
    found = spdx_json.PARSER.parse(tree, "appbomination.spdx.json")
    app = next(c for c in found.components if c.name == "App-BOM-ination")
    assert app.found_by == "spdx-json"
    assert {(e.field, e.value) for e in app.evidence} >= {
        (REF_FIELD, "SPDXRef-1"),
        ("supplier", "ACT Project"),
        ("originator", "Yevester"),
    }
    assert any(c.purl == "pkg:maven/org.slf4j/slf4j-api@1.7.21" for c in found.components)
    dataset = spdx3_jsonld.PARSER.parse(tree, "owid-co2-dataset.spdx3.json").components[0]
    assert dataset.kind is ComponentKind.DATASET and dataset.found_by == "spdx3-jsonld"


def test_sentimentdemo_ai_and_dataset_packages(tmp_path: Path) -> None:
    """Its `trainedOn` links files, not packages: kept as stated, no package edge made up."""
    shutil.copy(PUBLISHED / "sentimentdemo.spdx3.json", tmp_path)
    found = spdx3_jsonld.PARSER.parse(DirectoryTree("t", tmp_path), "sentimentdemo.spdx3.json")
    assert {c.kind for c in found.components} == {ComponentKind.MODEL, ComponentKind.DATASET}
    assert all(c.license == "CC0-1.0" for c in found.components)
    assert found.dependencies == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_tracebacks(text: str) -> None:
    for read in (spdx2.read_json, spdx2.read_tag_value, spdx3.read):
        with contextlib.suppress(ParseError):
            read(text, "x")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_KEYS2 = (
    "SPDXID",
    "name",
    "versionInfo",
    "supplier",
    "checksums",
    "externalRefs",
    "licenseDeclared",
)
_KEYS3 = ("type", "spdxId", "name", "from", "to", "relationshipType", "verifiedUsing",
          "suppliedBy", "originatedBy", "externalIdentifier", "software_packageUrl")  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    packages=st.lists(st.dictionaries(st.sampled_from(_KEYS2), _JSON, max_size=5), max_size=3),
    elements=st.lists(st.dictionaries(st.sampled_from(_KEYS3), _JSON, max_size=6), max_size=3),
)
def test_arbitrary_json_shapes_never_traceback(
    packages: list[dict[str, object]], elements: list[dict[str, object]]
) -> None:
    base = json.loads((DATA / "python-uv.trivy.spdx.json").read_text())
    document = dict(base, packages=base["packages"][:2] + packages)
    with contextlib.suppress(ParseError):
        spdx2.read_json(json.dumps(document), "x.spdx.json")
    with contextlib.suppress(ParseError):  # what a document above FULL_CHECK goes through
        spdx2._from_dict(document, "x.spdx.json", {})
    with contextlib.suppress(ParseError):
        spdx3.read(json.dumps(_graph(elements)), "x.spdx3.json")


def test_named_bad_document_exits_2_naming_file_and_line(
    tmp_path: Path, auditor: Callable[..., Ran]
) -> None:
    bad = tmp_path / "vendor.spdx"
    text = (PUBLISHED / "example6-lib.spdx").read_text()
    bad.write_text(text.replace("PackageChecksum: SHA256: ", "PackageChecksum: SHA256 ", 1))
    ran = auditor("scan", "--no-resolve", bad)
    assert ran.code == 2, ran.stdout
    assert "vendor.spdx:19:" in ran.stderr and "Traceback" not in ran.stderr


def test_scan_of_each_format_is_valid_json(
    auditor: Callable[..., Ran], validate: Callable[[str], dict[str, Any]]
) -> None:
    for path in (
        DATA / "python-uv.trivy.spdx.json",
        DATA / "npm-v3.syft.spdx",
        PUBLISHED / "simplehtr-example.spdx3.json",
    ):
        ran = auditor("scan", "--no-resolve", "--offline", path, "--format", "json")
        assert ran.code == 0, ran.stderr
        doc = validate(ran.stdout)
        assert doc["components"]
