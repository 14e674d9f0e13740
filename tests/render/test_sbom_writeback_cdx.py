"""The CycloneDX write-back on real SBOMs (syft, trivy and cyclonedx-py output, a published
SaaSBOM, a hand-made ML-BOM: tests/data/sbom_writeback/README.md): the output validates
against the input's own spec version, keeps every field and bom-ref of the input, and adds
our origins where the vendor said nothing."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.render.sbom_enrich_cdx import enrich, spec_version, writeback_serial
from tests.render.sbom_scans import BASE, SCAN_ID, TUNED, WRITEBACK, original, scan_of

DOCUMENTS = sorted(p.name for p in WRITEBACK.glob("*.cdx.json"))
SCHEMAS = {
    "1.4": SchemaVersion.V1_4,
    "1.5": SchemaVersion.V1_5,
    "1.6": SchemaVersion.V1_6,
    "1.7": SchemaVersion.V1_7,
}


@functools.cache
def validator(version: str) -> JsonStrictValidator:
    return JsonStrictValidator(SCHEMAS[version])


REPLACED = {"serialNumber", "version", "timestamp"}
"""Header fields the write-back replaces (the vendor's values move to metadata.properties)."""


def enriched(name: str, resolved: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the input document, its write-back), the write-back validated strictly against the
    input's spec version (once per document: the validator is slow)."""
    source, text = _enriched(name, resolved)
    return json.loads(source), json.loads(text)


@functools.cache
def _enriched(name: str, resolved: bool) -> tuple[str, str]:
    path = WRITEBACK / name
    scan = scan_of(path, "cyclonedx", resolved=resolved)
    source = json.loads(path.read_text())
    out = enrich(copy.deepcopy(source), scan, original(path, "cyclonedx"))
    text = json.dumps(out)
    errors = validator(source["specVersion"]).validate_str(text)
    assert errors is None, str(errors)[:2000]
    return json.dumps(source), text


def kept(source: Any, out: Any, where: str = "$") -> None:
    """Everything in `source` is in `out` unchanged: objects keep every key and value,
    arrays keep their items in order (the write-back only appends). Our own `auditor:`
    properties and the replaced header fields are the exceptions."""
    if isinstance(source, dict):
        assert isinstance(out, dict), where
        for key, value in source.items():
            if where in ("$", "$.metadata") and key in REPLACED:
                continue
            assert key in out, f"{where}.{key} lost"
            kept(value, out[key], f"{where}.{key}")
    elif isinstance(source, list):
        assert isinstance(out, list), where
        theirs = [i for i in source if not _ours(i)]
        mine = [i for i in out if not _ours(i)]
        assert len(mine) >= len(theirs), f"{where}: items lost"
        for n, (a, b) in enumerate(zip(theirs, mine, strict=False)):
            kept(a, b, f"{where}[{n}]")
    else:
        assert source == out and type(source) is type(out), f"{where}: {source!r} -> {out!r}"


def _ours(item: Any) -> bool:
    return isinstance(item, dict) and str(item.get("name", "")).startswith("auditor:")


def components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    stack = [*doc.get("components", []), doc.get("metadata", {}).get("component") or {}]
    while stack:
        c = stack.pop()
        if "bom-ref" in c:
            found[c["bom-ref"]] = c
        stack.extend(c.get("components", []))
    return found


def props(item: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in item.get("properties", []):
        found.setdefault(p["name"], []).append(p.get("value"))
    return found


def every_ref(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["bom-ref"]] if isinstance(value.get("bom-ref"), str) else []
        return own + [r for v in value.values() for r in every_ref(v)]
    if isinstance(value, list):
        return [r for v in value for r in every_ref(v)]
    return []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_valid_in_its_own_version_and_keeps_everything(name: str) -> None:
    source, out = enriched(name)
    assert out["specVersion"] == source["specVersion"]
    kept(source, out)
    refs = every_ref(out)
    assert set(every_ref(source)) <= set(refs)
    assert len(refs) == len(set(refs)), "bom-refs stay unique"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_header_is_ours_and_keeps_the_vendors(name: str) -> None:
    source, out = enriched(name)
    path = WRITEBACK / name
    assert out["serialNumber"] == writeback_serial(SCAN_ID) != source.get("serialNumber")
    assert out["version"] == 1
    assert out["metadata"]["timestamp"] == "2026-12-08T01:00:00Z"
    meta = props(out["metadata"])
    if "serialNumber" in source:
        assert meta["auditor:source-serial-number"] == [source["serialNumber"]]
    assert meta["auditor:source-version"] == [str(source.get("version", 1))]
    assert meta["auditor:scan:id"] == [SCAN_ID]
    sha = original(path, "cyclonedx").sha256
    assert meta["auditor:source-sha256"] == [sha]
    (link,) = [r for r in out["externalReferences"] if r["type"] == "bom"]
    assert link["hashes"] == [{"alg": "SHA-256", "content": sha}]
    if "serialNumber" in source:
        serial = source["serialNumber"].removeprefix("urn:uuid:")
        assert link["url"] == f"urn:cdx:{serial}/{source.get('version', 1)}"
    tools = out["metadata"]["tools"]
    listed = tools["components"] if isinstance(tools, dict) else tools
    assert listed[-1]["name"] == "origin-auditor"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_entry_gets_our_origin(name: str) -> None:
    source, out = enriched(name)
    version = spec_version(source)
    before = components(source)
    for ref, c in components(out).items():
        if "purl" not in c or not c["purl"].startswith(("pkg:pypi/", "pkg:npm/")):
            continue
        facts = props(c)
        assert facts["auditor:origin:status"] == ["resolved"], ref
        assert facts["auditor:origin:country"] == ["US"]
        assert facts["auditor:trace:organisation"]
        if "supplier" in before.get(ref, {}):
            assert c["supplier"] == before[ref]["supplier"], "the vendor's supplier stays"
            continue
        assert c["supplier"]["name"] in ("Python Packaging Authority", "OpenJS Foundation")
        if version >= (1, 6):
            assert c["supplier"]["address"] == {"country": "US"}
            assert c["manufacturer"]["address"] == {"country": "US"}
        else:
            assert "address" not in c["supplier"] and "manufacturer" not in c
        vcs = [r for r in c["externalReferences"] if r["type"] == "vcs"]
        assert len(vcs) == 1


def test_mlbom_pedigree_and_vendor_claims() -> None:
    source, out = enriched("acme-assistant.mlbom.cdx.json")
    by_ref = components(out)
    gguf = by_ref["model-gguf"]
    assert [a["purl"] for a in gguf["pedigree"]["ancestors"]] == [TUNED, BASE]
    assert gguf["manufacturer"] == {"name": "Meta Platforms, Inc.", "address": {"country": "US"}}
    assert gguf["supplier"] == {"name": "Acme Labs", "address": {"country": "FR"}}
    assert gguf["modelCard"] == source["components"][0]["modelCard"]
    assert props(gguf)["acme:quantisation"] == ["Q4_K_M"]
    assert props(gguf)["auditor:trace:root"] == [BASE]
    # The vendor's own pedigree stays first; the same base is not listed twice.
    tuned = by_ref["model-tuned"]
    assert tuned["pedigree"]["ancestors"] == source["components"][1]["pedigree"]["ancestors"]
    assert tuned["pedigree"]["notes"] == "fine-tuned on Acme support transcripts"
    # The vendor named a supplier for the library: it stays, ours is in the properties.
    library = by_ref["pkg:pypi/llama-cpp-python@0.2.90"]
    assert library["supplier"] == {"name": "Acme Corp"}
    assert props(library)["auditor:origin:organisation"] == ["Python Packaging Authority"]
    # No purl: kept as stated, with the reason we did not look it up.
    script = by_ref["start-script"]
    assert props(script)["auditor:origin:status"] == ["skipped"]
    assert "supplier" not in script
    (service,) = out["services"]
    assert service["provider"] == {"name": "Acme Corp"}
    assert service["data"] == source["services"][0]["data"]
    for key in ("compositions", "annotations", "dependencies"):
        assert out[key] == source[key]
    assert props(out["metadata"])["acme:build-id"] == ["b-20261001-7"]


def test_unresolved_scan_adds_properties_only() -> None:
    _, out = enriched("syft-poetry-1.6.cdx.json", resolved=False)
    for ref, c in components(out).items():
        if "purl" in c:
            assert props(c)["auditor:origin:status"] == ["skipped"], ref
            assert "supplier" not in c and "manufacturer" not in c


def test_enriching_twice_replaces_our_facts() -> None:
    path = WRITEBACK / "trivy-npm-1.7.cdx.json"
    scan = scan_of(path, "cyclonedx")
    once = enrich(json.loads(path.read_text()), scan, original(path, "cyclonedx"))
    twice = enrich(copy.deepcopy(once), scan, original(path, "cyclonedx"))
    for ref, c in components(twice).items():
        names = [p["name"] for p in c.get("properties", [])]
        assert names == [p["name"] for p in components(once)[ref].get("properties", [])]


VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(VALUES, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(vendor=st.lists(st.tuples(VALUES, VALUES), max_size=6), odd=JSONISH)
def test_vendor_properties_and_odd_shapes_survive(vendor: list[tuple[str, str]], odd: Any) -> None:
    """Whatever the vendor's properties hold, and whatever sits where we look (a
    `pedigree` or `tools` of another shape), the write-back keeps it and never fails."""
    path = WRITEBACK / "syft-poetry-1.6.cdx.json"
    scan = scan_of(path, "cyclonedx")
    source = json.loads(path.read_text())
    first = source["components"][0]
    first["properties"] = [{"name": f"acme:{n}", "value": v} for n, v in vendor]
    first["pedigree"] = odd
    source["metadata"]["x-odd"] = odd
    out = enrich(copy.deepcopy(source), scan, original(path, "cyclonedx"))
    kept(source, json.loads(json.dumps(out)))


def test_a_bom_without_serial_links_by_file_name(tmp_path: Path) -> None:
    source = json.loads((WRITEBACK / "saasbom-1.4.cdx.json").read_text())
    del source["serialNumber"]
    path = tmp_path / "vendor.cdx.json"
    path.write_text(json.dumps(source))
    out = enrich(copy.deepcopy(source), scan_of(path, "cyclonedx"), original(path, "cyclonedx"))
    (link,) = out["externalReferences"][-1:]
    assert link["url"] == "vendor.cdx.json"
    assert "auditor:source-serial-number" not in props(out["metadata"])
    assert validator("1.4").validate_str(json.dumps(out)) is None
