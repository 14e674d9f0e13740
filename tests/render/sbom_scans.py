"""Scans of the write-back's test SBOMs (tests/data/sbom_writeback), built the way the
pipeline builds them: each document's entries through the shared reader model
(`auditor.sbom.document`) and `auditor.sbom.collect.to_collected`, then origins as a resolver
and attribution would give them (an organisation and country per component, lineage for the
models), so the merge is tested on real documents without the network."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from auditor.model import (
    Claim,
    Dependency,
    DependencyKind,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
    Target,
    TargetKind,
)
from auditor.render.sbom_source import Original
from auditor.sbom.collect import to_collected
from auditor.sbom.document import Party, SbomDocument, SbomEntry, SbomService
from tests.conftest import DATA

WRITEBACK = DATA / "sbom_writeback"
SCAN_ID = "0b9f8c39-4c55-4f4e-9d8e-7d3b4a7e0c21"
BASE = "pkg:huggingface/meta-llama/Llama-2-7b-hf@4444444444444444444444444444444444444444"
TUNED = "pkg:huggingface/acme/assistant-7b@3333333333333333333333333333333333333333"
GGUF = "pkg:huggingface/acme/assistant-7b-gguf@1111111111111111111111111111111111111111"
ORGS = {  # purl type -> (organisation, country) our attribution gives in these tests
    "pypi": ("Python Packaging Authority", "US"),
    "npm": ("OpenJS Foundation", "US"),
    "huggingface": ("Acme Labs", "FR"),
}


def cdx_document(data: dict[str, Any], path: str) -> SbomDocument:
    """The entries of a CycloneDX JSON document in the shared model (nested ones flattened)."""
    entries: list[SbomEntry] = []

    def walk(items: list[Any], parent: str | None) -> None:
        for n, c in enumerate(items):
            ref = c.get("bom-ref") or f"{parent or 'component'}-{n}"
            parties = [Party(c["supplier"]["name"], "supplier")] if "supplier" in c else []
            ancestors = [
                a.get("purl") or a["name"] for a in c.get("pedigree", {}).get("ancestors", [])
            ]
            entries.append(
                SbomEntry(
                    ref,
                    c["name"],
                    c.get("version"),
                    c.get("purl"),
                    c["type"],
                    parties=tuple(parties),
                    ancestors=tuple(ancestors),
                    parent_ref=parent,
                )
            )
            walk(c.get("components", []), ref)

    walk(data.get("components", []), None)
    services = [
        SbomService(s["bom-ref"], s["name"], s.get("version"), tuple(s.get("endpoints", ())))
        for s in data.get("services", [])
    ]
    deps = tuple(
        (d["ref"], t) for d in data.get("dependencies", []) for t in d.get("dependsOn", [])
    )
    subject = data.get("metadata", {}).get("component", {}).get("bom-ref")
    return SbomDocument(
        path,
        "cyclonedx",
        data["specVersion"],
        data.get("serialNumber"),
        None,
        subject=subject,
        entries=tuple(entries),
        services=tuple(services),
        dependencies=deps,
    )


def cdx_xml_document(text: bytes, path: str) -> SbomDocument:
    """The entries of a CycloneDX XML document in the shared model (nested ones flattened)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text)
    ns = root.tag[1:].partition("}")[0]

    def q(name: str) -> str:
        return f"{{{ns}}}{name}"

    entries: list[SbomEntry] = []

    def walk(parent_element: ET.Element | None, parent: str | None) -> None:
        for n, c in enumerate(
            [] if parent_element is None else parent_element.findall(q("component"))
        ):
            ref = c.get("bom-ref") or f"{parent or 'component'}-{n}"
            supplier = c.findtext(f"{q('supplier')}/{q('name')}")
            entries.append(
                SbomEntry(
                    ref,
                    c.findtext(q("name")) or "",
                    c.findtext(q("version")),
                    c.findtext(q("purl")),
                    c.get("type") or "library",
                    parties=(Party(supplier, "supplier"),) if supplier else (),
                    parent_ref=parent,
                )
            )
            walk(c.find(q("components")), ref)

    walk(root.find(q("components")), None)
    found = root.find(q("services"))
    services = [
        SbomService(s.get("bom-ref") or "", s.findtext(q("name")) or "", None)
        for s in ([] if found is None else found.findall(q("service")))
    ]
    return SbomDocument(
        path,
        "cyclonedx",
        ns.rpartition("/")[2],
        root.get("serialNumber"),
        None,
        entries=tuple(entries),
        services=tuple(services),
    )


def spdx_document(data: dict[str, Any], path: str) -> SbomDocument:
    """The packages of an SPDX 2 JSON document in the shared model."""
    entries = []
    for p in data.get("packages", []):
        purl = next(
            (
                r["referenceLocator"]
                for r in p.get("externalRefs", [])
                if r.get("referenceType") == "purl"
            ),
            None,
        )
        entries.append(SbomEntry(p["SPDXID"], p["name"], p.get("versionInfo"), purl, "library"))
    return SbomDocument(
        path,
        "spdx",
        data["spdxVersion"],
        data.get("documentNamespace"),
        None,
        entries=tuple(entries),
    )


def original(path: Path, family: str, syntax: str = "json") -> Original:
    return Original(path, family, syntax, path.read_bytes())


def scan_of(path: Path, family: str, *, resolved: bool = True) -> Scan:
    """A scan of the document at `path`: its components, and origins for each (an
    organisation and country by purl type), the Acme models' lineage to a Meta root."""
    if path.suffix == ".xml":
        doc = cdx_xml_document(path.read_bytes(), path.name)
        return _scan(path, doc, family)
    if path.suffix == ".spdx":  # tag-value: as the write-back reads it
        from auditor.render.sbom_enrich_spdx import load_document

        loaded = load_document(original(path, "spdx", "tag-value"))
        assert loaded is not None
        data = loaded
    else:
        data = json.loads(path.read_text())
    name = path.name
    doc = cdx_document(data, name) if family == "cyclonedx" else spdx_document(data, name)
    return _scan(path, doc, family, resolved=resolved)


def _scan(path: Path, doc: SbomDocument, family: str, *, resolved: bool = True) -> Scan:
    name = path.name
    collected = to_collected(doc, f"{family}-test", name)
    origins = []
    deps = list(collected.dependencies)
    for c in collected.components:
        kind = c.purl[4:].partition("/")[0]
        if not resolved or kind not in ORGS:
            origins.append(Origin(c.purl, OriginStatus.SKIPPED, reason="not resolved in tests"))
            continue
        org, country = ORGS[kind]
        roots = (Root(BASE, "finetune", "Meta Platforms, Inc.", "US", Strength.REGISTRY),)
        origins.append(
            Origin(
                c.purl,
                OriginStatus.RESOLVED,
                publisher=Claim(org.split()[0].lower(), Strength.REGISTRY),
                repository=Claim(f"https://github.com/example/{c.name}", Strength.DECLARED),
                organisation=Claim(org, Strength.INFERRED),
                country=Claim(country, Strength.INFERRED),
                roots=roots if c.purl in (GGUF, TUNED) else (),
            )
        )
    if any(c.purl == GGUF for c in collected.components):
        deps += [
            Dependency(GGUF, TUNED, DependencyKind.DERIVED_FROM, "quantized"),
            Dependency(TUNED, BASE, DependencyKind.DERIVED_FROM, "finetune"),
        ]
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return Scan(
        id=SCAN_ID,
        started_at="2026-12-08T01:00:00Z",
        finished_at="2026-12-08T01:00:02Z",
        status=ScanStatus.COMPLETE,
        tool_version="0.1.0",
        targets=(Target(f"sbom:{path}", TargetKind.SBOM, f"sbom:{path}", digest),),
        components=collected.components,
        origins=tuple(origins),
        dependencies=tuple(dict.fromkeys(deps)),
    )
