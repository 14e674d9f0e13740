"""The CycloneDX XML write-back on real SBOMs (syft 1.4-1.6 XML, a hand-made ML-BOM): the
output validates against the input's own XML schema version, keeps every element, attribute
and bom-ref of the input, and adds our origins in the places the schema orders them."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.xml import XmlValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model import Claim, Strength
from auditor.render.sbom_enrich_cdx import writeback_serial
from auditor.render.sbom_enrich_cdx_xml import _NOT_XML, has_dtd, render_enriched_xml
from tests.render.sbom_scans import BASE, SCAN_ID, TUNED, WRITEBACK, original, scan_of

DOCUMENTS = sorted(p.name for p in WRITEBACK.glob("*.cdx.xml"))
SCHEMAS = {
    "1.4": SchemaVersion.V1_4,
    "1.5": SchemaVersion.V1_5,
    "1.6": SchemaVersion.V1_6,
    "1.7": SchemaVersion.V1_7,
}


def enriched(name: str) -> tuple[ET.Element, ET.Element, str]:
    """(input root, output root, namespace), the output validated against its version."""
    path = WRITEBACK / name
    text = render_enriched_xml(scan_of(path, "cyclonedx"), original(path, "cyclonedx", "xml"))
    source = ET.fromstring(path.read_bytes())
    ns = source.tag[1:].partition("}")[0]
    errors = XmlValidator(SCHEMAS[ns.rpartition("/")[2]]).validate_str(text)
    assert errors is None, str(errors)[:2000]
    return source, ET.fromstring(text), ns


def _ours(element: ET.Element) -> bool:
    return (element.get("name") or "").startswith("auditor:")


def kept(source: ET.Element, out: ET.Element, where: str = "bom") -> None:
    """`source`'s attributes, text and children are all in `out`, children in their order
    (ours may sit between them); the replaced header values are the exception."""
    assert source.tag == out.tag, where
    for key, value in source.attrib.items():
        if where == "bom" and key in ("serialNumber", "version"):
            continue
        assert out.get(key) == value, f"{where}@{key}"
    if not where.endswith("/timestamp"):
        assert (source.text or "").strip() == (out.text or "").strip(), where
    theirs = [c for c in source if not _ours(c)]
    mine = iter(c for c in out if not _ours(c))
    for child in theirs:
        tag = child.tag.partition("}")[2]
        match = next((c for c in mine if c.tag == child.tag and _same_id(child, c)), None)
        assert match is not None, f"{where}/{tag} lost or out of order"
        kept(child, match, f"{where}/{tag}")


def _same_id(a: ET.Element, b: ET.Element) -> bool:
    return all(a.get(k) == b.get(k) for k in ("bom-ref", "ref", "name", "type") if a.get(k))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_valid_in_its_own_version_and_keeps_everything(name: str) -> None:
    source, out, ns = enriched(name)
    assert out.tag == source.tag, "same namespace, same version"
    kept(source, out)
    refs = [e.get("bom-ref") for e in out.iter() if e.get("bom-ref")]
    assert {e.get("bom-ref") for e in source.iter() if e.get("bom-ref")} <= set(refs)
    assert len(refs) == len(set(refs))
    assert out.get("serialNumber") == writeback_serial(SCAN_ID)
    assert out.get("version") == "1"
    q = f"{{{ns}}}"
    meta = {p.get("name"): p.text for p in out.iter(f"{q}property")}
    assert meta["auditor:source-serial-number"] == source.get("serialNumber")
    assert meta["auditor:scan:id"] == SCAN_ID
    link = out.find(f"{q}externalReferences/{q}reference[@type='bom']")
    assert link is not None
    serial = source.get("serialNumber", "").removeprefix("urn:uuid:")
    assert link.findtext(f"{q}url") == f"urn:cdx:{serial}/{source.get('version', '1')}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_libraries_get_our_origin(name: str) -> None:
    _, out, ns = enriched(name)
    q = f"{{{ns}}}"
    newer = ns.endswith(("1.6", "1.7"))
    checked = 0
    for component in out.iter(f"{q}component"):
        purl = component.findtext(f"{q}purl") or ""
        if not purl.startswith(("pkg:pypi/", "pkg:npm/")) or "#ancestor:" in (
            component.get("bom-ref") or ""
        ):
            continue
        checked += 1
        facts = {p.get("name"): p.text for p in component.iter(f"{q}property")}
        assert facts["auditor:origin:status"] == "resolved"
        assert facts["auditor:origin:country"] == "US"
        supplier = component.findtext(f"{q}supplier/{q}name")
        assert supplier in ("Acme Corp", "Python Packaging Authority", "OpenJS Foundation")
        country = component.findtext(f"{q}supplier/{q}address/{q}country")
        assert country == ("US" if newer and supplier != "Acme Corp" else None)
    assert checked


def test_mlbom_pedigree() -> None:
    _, out, ns = enriched("acme-assistant.mlbom.cdx.xml")
    q = f"{{{ns}}}"
    gguf = next(c for c in out.iter(f"{q}component") if c.get("bom-ref") == "model-gguf")
    purls = [a.findtext(f"{q}purl") for a in gguf.findall(f"{q}pedigree/{q}ancestors/{q}component")]
    assert purls == [TUNED, BASE]
    assert gguf.findtext(f"{q}manufacturer/{q}name") == "Meta Platforms, Inc."
    assert gguf.find(f"{q}modelCard") is not None
    service = out.find(f"{q}services/{q}service")
    assert service is not None and service.find(f"{q}properties") is not None


def test_a_dtd_is_not_written_back() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom/>'
    assert has_dtd(evil)
    assert not has_dtd((WRITEBACK / "syft-npm-1.5.cdx.xml").read_bytes())


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=30))
def test_any_registry_text_stays_well_formed_xml(text: str) -> None:
    """Our facts come from registries: whatever text they hold (control characters XML
    cannot carry included), the write-back is well-formed and says the rest as it was."""
    path = WRITEBACK / "syft-npm-1.5.cdx.xml"
    scan = scan_of(path, "cyclonedx")
    origins = tuple(
        dataclasses.replace(o, organisation=Claim(text or "x", Strength.DECLARED))
        for o in scan.origins
    )
    out = render_enriched_xml(
        dataclasses.replace(scan, origins=origins), original(path, "cyclonedx", "xml")
    )
    root = ET.fromstring(out)
    names = {e.text for e in root.iter() if e.tag.endswith("}name")}
    # What XML cannot hold is U+FFFD; a parser reads a carriage return as a line feed.
    said = _NOT_XML.sub("\ufffd", text or "x").replace("\r\n", "\n").replace("\r", "\n")
    assert said in names
