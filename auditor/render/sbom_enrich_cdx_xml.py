"""`--format cyclonedx` on a scan of one CycloneDX XML SBOM: the vendor's document written
back as XML, with the same additions as the JSON write-back (`sbom_enrich_cdx`, whose
docstring says what is kept and what is added), each new element placed where the input's
schema version wants it (XML Schema sequences are ordered).

Read with the standard library's parser, which expands no external entity; a document
carrying a DTD is not written back at all (nothing in a CycloneDX BOM needs one). Comments,
processing instructions and the whitespace between elements are not kept (the output is
indented); a foreign namespace's prefix may be renamed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

from auditor.model import ComponentKind, Scan
from auditor.render.sbom_enrich import Facts, Index, Party, writeback_facts
from auditor.render.sbom_enrich_cdx import PREFIX, TOOL_NAME, bom_link, writeback_serial
from auditor.render.sbom_source import Original

_ML_TYPES = {ComponentKind.MODEL: "machine-learning-model", ComponentKind.DATASET: "data"}
# What follows each element we may add, in the component / service / metadata / bom
# sequences of CycloneDX 1.4-1.7 (later versions only add elements).
_AFTER_COMPONENT = (
    "components",
    "evidence",
    "releaseNotes",
    "modelCard",
    "data",
    "cryptoProperties",
    "tags",
    "signature",
)
_AFTER_PEDIGREE = ("externalReferences", "properties", *_AFTER_COMPONENT)
_AFTER_REFERENCES = ("properties", *_AFTER_COMPONENT)
_AFTER_SERVICE_PROPERTIES = ("services", "releaseNotes", "tags", "signature")
_AFTER_TOOLS = ("authors", "component", "manufacture", "manufacturer", "supplier")
_AFTER_METADATA_PROPERTIES: tuple[str, ...] = ()
_AFTER_BOM_REFERENCES = (
    "dependencies",
    "compositions",
    "properties",
    "vulnerabilities",
    "annotations",
    "formulation",
    "declarations",
    "definitions",
)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold at all (JSON can: a registry's text may carry them)."""


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def has_dtd(data: bytes) -> bool:
    """A DTD is where entity tricks live; a BOM has no use for one."""
    return b"<!DOCTYPE" in data[:65536] or b"<!ENTITY" in data


def render_enriched_xml(scan: Scan, original: Original) -> str:
    """The enriched XML document."""
    root = ET.fromstring(original.data)
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    version = _version(namespace)
    bom = _Bom(namespace, version)
    index = Index(scan)
    taken = {e.get("bom-ref") for e in root.iter() if e.get("bom-ref")}
    metadata = root.find(bom.q("metadata"))
    tops = [] if metadata is None else metadata.findall(bom.q("component"))
    components = root.find(bom.q("components"))
    tops += [] if components is None else components.findall(bom.q("component"))
    for component in _walk(tops, bom.q("components"), bom.q("component")):
        facts = index.find(component.get("bom-ref"), component.findtext(bom.q("purl")))
        if facts is not None:
            bom.enrich_component(component, facts, taken)
    services = root.find(bom.q("services"))
    tops = [] if services is None else services.findall(bom.q("service"))
    for service in _walk(tops, bom.q("services"), bom.q("service")):
        facts = index.find(service.get("bom-ref"), None)
        if facts is not None:
            if service.find(bom.q("provider")) is None and facts.supplier is not None:
                service.insert(0, bom.entity("provider", facts.supplier))
            bom.set_properties(service, facts.properties, _AFTER_SERVICE_PROPERTIES)
    bom.rewrite_header(root, scan, original)
    if namespace:
        # The BOM's namespace stays the default one, as the vendor wrote it (ElementTree
        # would name it `ns0:`): its elements are written unqualified under `xmlns`.
        qualified = f"{{{namespace}}}"
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag.startswith(qualified):
                element.tag = element.tag[len(qualified) :]
        root.set("xmlns", namespace)
    ET.indent(root, space="  ")  # whitespace between elements only: no value changes
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def _version(namespace: str) -> tuple[int, int]:
    major, _, minor = namespace.rpartition("/")[2].partition(".")
    try:
        return int(major), int(minor)
    except ValueError:
        return 1, 4


def _walk(tops: list[ET.Element], group: str, item: str) -> list[ET.Element]:
    found: list[ET.Element] = []
    stack = list(reversed(tops))
    while stack:
        element = stack.pop()
        found.append(element)
        nested = element.find(group)
        if nested is not None:
            stack.extend(reversed(nested.findall(item)))
    return found


class _Bom:
    """Element building and placement in one document's namespace and version."""

    def __init__(self, namespace: str, version: tuple[int, int]) -> None:
        self.namespace = namespace
        self.version = version

    def q(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}" if self.namespace else name

    def element(
        self, tag: str, text: str | None = None, attributes: dict[str, str] | None = None
    ) -> ET.Element:
        made = ET.Element(self.q(tag), {k: _xml(v) for k, v in (attributes or {}).items()})
        made.text = None if text is None else _xml(text)
        return made

    def place(self, parent: ET.Element, child: ET.Element, before: tuple[str, ...]) -> None:
        """Insert `child` before the first of `before` among `parent`'s children."""
        names = {self.q(n) for n in before}
        for position, existing in enumerate(parent):
            if existing.tag in names:
                parent.insert(position, child)
                return
        parent.append(child)

    def entity(self, name: str, party: Party) -> ET.Element:
        made = self.element(name)
        made.append(self.element("name", party.name))
        if party.country and self.version >= (1, 6):
            address = self.element("address")
            address.append(self.element("country", party.country))
            made.append(address)
        return made

    def enrich_component(self, component: ET.Element, facts: Facts, taken: set[str | None]) -> None:
        supplier = component.find(self.q("supplier"))
        if supplier is None and facts.supplier is not None:
            supplier = self.entity("supplier", facts.supplier)
            component.insert(0, supplier)
        if (
            self.version >= (1, 6)
            and component.find(self.q("manufacturer")) is None
            and facts.manufacturer is not None
        ):
            at = 1 if supplier is not None else 0
            component.insert(at, self.entity("manufacturer", facts.manufacturer))
        if facts.component.kind in _ML_TYPES and facts.ancestors:
            self._add_ancestors(component, facts, taken)
        if facts.repository is not None:
            references = component.find(self.q("externalReferences"))
            if references is None:
                references = self.element("externalReferences")
                self.place(component, references, _AFTER_REFERENCES)
            if not any(r.get("type") == "vcs" for r in references):
                reference = self.element("reference", None, {"type": "vcs"})
                reference.append(self.element("url", facts.repository))
                references.append(reference)
        self.set_properties(component, facts.properties, _AFTER_REFERENCES[1:])

    def _add_ancestors(self, component: ET.Element, facts: Facts, taken: set[str | None]) -> None:
        pedigree = component.find(self.q("pedigree"))
        if pedigree is None:
            pedigree = self.element("pedigree")
            self.place(component, pedigree, _AFTER_PEDIGREE)
        ancestors = pedigree.find(self.q("ancestors"))
        if ancestors is None:
            ancestors = self.element("ancestors")
            pedigree.insert(0, ancestors)
        stated = {c.findtext(self.q("purl")) for c in ancestors}
        child = component.get("bom-ref") or facts.component.purl
        for ancestor in facts.ancestors:
            if ancestor.purl in stated:
                continue
            ref = f"{child}#ancestor:{ancestor.purl}"
            while ref in taken:
                ref += "'"
            taken.add(ref)
            kind = ancestor.component.kind if ancestor.component else ComponentKind.MODEL
            made = self.element("component", None, {"type": _ML_TYPES.get(kind, "library")})
            made.set("bom-ref", ref)
            made.append(self.element("name", ancestor.name))
            if ancestor.version:
                made.append(self.element("version", ancestor.version))
            if ancestor.purl.startswith("pkg:"):
                made.append(self.element("purl", ancestor.purl))
            ancestors.append(made)

    def set_properties(
        self, item: ET.Element, ours: tuple[tuple[str, str], ...], before: tuple[str, ...]
    ) -> None:
        properties = item.find(self.q("properties"))
        if properties is None:
            if not ours:
                return
            properties = self.element("properties")
            self.place(item, properties, before)
        for stale in [p for p in properties if (p.get("name") or "").startswith(f"{PREFIX}:")]:
            properties.remove(stale)
        for name, value in ours:
            properties.append(self.element("property", value, {"name": name}))

    def rewrite_header(self, root: ET.Element, scan: Scan, original: Original) -> None:
        source_serial = root.get("serialNumber")
        source_version = root.get("version", "1")
        root.set("serialNumber", writeback_serial(scan.id))
        root.set("version", "1")
        metadata = root.find(self.q("metadata"))
        if metadata is None:
            metadata = self.element("metadata")
            root.insert(0, metadata)
        timestamp = metadata.find(self.q("timestamp"))
        source_timestamp = timestamp.text if timestamp is not None else None
        if timestamp is None:
            timestamp = self.element("timestamp")
            metadata.insert(0, timestamp)
        timestamp.text = scan.started_at
        self._add_tool(metadata, scan.tool_version)
        ours = writeback_facts(
            scan, original.path, original.sha256, source_serial, source_version, source_timestamp
        )
        self.set_properties(metadata, ours, _AFTER_METADATA_PROPERTIES)
        try:
            number = int(source_version)
        except ValueError:
            number = 1
        references = root.find(self.q("externalReferences"))
        if references is None:
            references = self.element("externalReferences")
            self.place(root, references, _AFTER_BOM_REFERENCES)
        reference = self.element("reference", None, {"type": "bom"})
        link = bom_link(source_serial, number)
        reference.append(self.element("url", link or PurePosixPath(original.path.name).name))
        reference.append(
            self.element(
                "comment", "the vendor's SBOM this document adds origin-auditor's origins to"
            )
        )
        hashes = self.element("hashes")
        hashes.append(self.element("hash", original.sha256, {"alg": "SHA-256"}))
        reference.append(hashes)
        references.append(reference)

    def _add_tool(self, metadata: ET.Element, tool_version: str) -> None:
        tools = metadata.find(self.q("tools"))
        if tools is None:
            tools = self.element("tools")
            self.place(metadata, tools, (*_AFTER_TOOLS, "licenses", "properties"))
        legacy = tools.find(self.q("tool")) is not None or self.version < (1, 5)
        if legacy:
            tool = self.element("tool")
            tool.append(self.element("name", TOOL_NAME))
            tool.append(self.element("version", tool_version))
            tools.append(tool)
            return
        listed = tools.find(self.q("components"))
        if listed is None:
            listed = self.element("components")
            tools.insert(0, listed)
        made = self.element("component", None, {"type": "application"})
        made.append(self.element("name", TOOL_NAME))
        made.append(self.element("version", tool_version))
        listed.append(made)
