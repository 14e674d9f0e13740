"""The SPDX write-back on real SBOMs (syft SPDX 2.3 and 2.2 JSON, syft tag-value, trivy SPDX
2.3 JSON: tests/data/sbom_writeback/README.md): spdx-tools finds nothing wrong with the
output that it did not find with the input, every package keeps its SPDXID and fields, and
our origins are added where the vendor said nothing."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.render.sbom_enrich_spdx import SOURCE_REF, enrich, load_document
from tests.render.sbom_scans import SCAN_ID, WRITEBACK, original, scan_of
from tests.render.test_sbom_writeback_cdx import kept

DOCUMENTS = sorted(p.name for p in WRITEBACK.glob("*.spdx*"))
REPLACED = {"documentNamespace", "created"}


def problems(text: str, version: str) -> set[str]:
    """spdx-tools' validation messages for an SPDX JSON document."""
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = JsonLikeDictParser().parse(json.loads(text))
    return {m.validation_message for m in validate_full_spdx_document(document, version)}


@functools.cache
def _enriched(name: str) -> tuple[str, str]:
    path = WRITEBACK / name
    syntax = "tag-value" if path.suffix == ".spdx" else "json"
    source = load_document(original(path, "spdx", syntax))
    assert source is not None
    out = enrich(copy.deepcopy(source), scan_of(path, "spdx"), original(path, "spdx", syntax))
    text = json.dumps(out)
    version = source["spdxVersion"]
    new = problems(text, version) - problems(json.dumps(source), version)
    assert not new, sorted(new)[:5]
    return json.dumps(source), text


def enriched(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    source, text = _enriched(name)
    return json.loads(source), json.loads(text)


def _without_replaced(source: dict[str, Any], out: dict[str, Any]) -> tuple[Any, Any]:
    """The documents with the fields the write-back replaces or fills taken out of both."""
    source, out = copy.deepcopy(source), copy.deepcopy(out)
    for doc in (source, out):
        doc.pop("documentNamespace", None)
        doc.get("creationInfo", {}).pop("created", None)
    for theirs, ours in zip(source["packages"], out["packages"], strict=True):
        for key in ("supplier", "originator"):
            if theirs.get(key, "NOASSERTION") == "NOASSERTION":
                theirs.pop(key, None)
                ours.pop(key, None)
    return source, out


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_new_problems_and_everything_kept(name: str) -> None:
    source, out = enriched(name)
    assert out["spdxVersion"] == source["spdxVersion"]
    assert [p["SPDXID"] for p in out["packages"]] == [p["SPDXID"] for p in source["packages"]]
    kept(*_without_replaced(source, out))
    assert out["relationships"] == source["relationships"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_header_is_ours_and_names_the_vendors(name: str) -> None:
    source, out = enriched(name)
    path = WRITEBACK / name
    assert out["documentNamespace"].endswith(f"{SCAN_ID}/write-back")
    assert out["documentNamespace"] != source["documentNamespace"]
    assert out["creationInfo"]["created"] == "2026-12-08T01:00:00Z"
    assert out["creationInfo"]["creators"][:-1] == source["creationInfo"]["creators"]
    assert out["creationInfo"]["creators"][-1] == "Tool: origin-auditor-0.1.0"
    (ref,) = [r for r in out["externalDocumentRefs"] if r["externalDocumentId"] == SOURCE_REF]
    assert ref["spdxDocument"] == source["documentNamespace"]
    assert ref["checksum"]["checksumValue"] == original(path, "spdx").sha1
    (note,) = [a for a in out["annotations"] if a["annotator"].startswith("Tool: origin-")]
    assert f"auditor:source-namespace={source['documentNamespace']}" in note["comment"]
    assert f"auditor:source-created={source['creationInfo']['created']}" in note["comment"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_package_gets_our_origin(name: str) -> None:
    source, out = enriched(name)
    checked = 0
    for theirs, ours in zip(source["packages"], out["packages"], strict=True):
        purls = [r["referenceLocator"] for r in ours.get("externalRefs", [])]
        if not any(p.startswith(("pkg:pypi/", "pkg:npm/")) for p in purls):
            continue
        checked += 1
        (note,) = [a for a in ours["annotations"] if a["annotator"].startswith("Tool: origin-")]
        lines = note["comment"].splitlines()
        assert "auditor:origin:status=resolved" in lines
        assert "auditor:origin:country=US" in lines
        assert note["annotationType"] == "OTHER"
        if theirs.get("supplier", "NOASSERTION") == "NOASSERTION":
            assert ours["supplier"] in (
                "Organization: Python Packaging Authority",
                "Organization: OpenJS Foundation",
            )
            assert ours["originator"] == ours["supplier"]
        else:
            assert ours["supplier"] == theirs["supplier"]
    assert checked


def test_enriching_twice_keeps_one_annotation_of_ours() -> None:
    path = WRITEBACK / "syft-poetry.spdx.json"
    scan = scan_of(path, "spdx")
    once = enrich(json.loads(path.read_text()), scan, original(path, "spdx"))
    twice = enrich(copy.deepcopy(once), scan, original(path, "spdx"))
    for package in twice["packages"]:
        ours = [a for a in package.get("annotations", []) if "origin-auditor" in a["annotator"]]
        assert len(ours) <= 1
    refs = [r["externalDocumentId"] for r in twice["externalDocumentRefs"]]
    assert refs.count(SOURCE_REF) == 1


def test_vendor_supplier_stays(tmp_path: Path) -> None:
    source = json.loads((WRITEBACK / "trivy-poetry.spdx.json").read_text())
    package = next(p for p in source["packages"] if "externalRefs" in p)
    package["supplier"] = "Organization: Acme Corp (sbom@acme.example)"
    package["comment"] = "vendor's own words"
    path = tmp_path / "vendor.spdx.json"
    path.write_text(json.dumps(source))
    out = enrich(copy.deepcopy(source), scan_of(path, "spdx"), original(path, "spdx"))
    mine = next(p for p in out["packages"] if p["SPDXID"] == package["SPDXID"])
    assert mine["supplier"] == "Organization: Acme Corp (sbom@acme.example)"
    assert mine["comment"] == "vendor's own words"
    theirs = package.get("annotations", [])
    assert mine["annotations"][: len(theirs)] == theirs
    (note,) = mine["annotations"][len(theirs) :]
    assert "auditor:origin:organisation=Python Packaging Authority" in note["comment"]
