"""`--format cyclonedx` on a scan of one CycloneDX JSON SBOM: the vendor's document written
back with our origins added, in the input's spec version (1.4-1.7).

Kept as the vendor wrote it: every field, every `bom-ref`, the components' order and nesting,
`dependencies`, `compositions`, `vulnerabilities`, model cards, the vendor's own properties,
and every supplier, manufacturer or pedigree the vendor stated (ours never overwrites one;
where both speak, ours is in the `auditor:origin:*` properties beside it).

Added, to each entry the scan has a component for (services too):
- `supplier`: our attributed organisation, with `address.country` from 1.6 on (earlier
  versions have no address; the country is in the properties), when the vendor names none;
- `manufacturer` (1.6+): whose work it is, the first lineage root's organisation and country
  (the component itself without lineage), when the vendor names none;
- `pedigree.ancestors` for models and datasets: the lineage up to each root, each a copy with
  a bom-ref of its own (`<entry bom-ref>#ancestor:<purl>`), after any the vendor listed;
- a `vcs` external reference to the source repository, when the vendor gives none;
- `auditor:*` properties: origin status, publisher, repository, organisation, country with
  their strengths, each lineage root (`auditor:trace:*`) and each finding (`auditor:finding`);
  `auditor:` properties already there (a document enriched before) are replaced.

The document is ours now: a new `serialNumber` (derived from the scan id) and `version` 1,
`metadata.timestamp` the scan's, origin-auditor among `metadata.tools` (in the shape the
version and the document use), and the vendor's serial number, version, timestamp and file
digest kept as `metadata.properties` (`auditor:source-serial-number` …) and as a top-level
`bom` external reference: the BOM-Link `urn:cdx:<serial>/<version>` with the file's SHA-256.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from auditor.model import ComponentKind, Scan
from auditor.render.sbom_enrich import Ancestor, Facts, Index, Party, strip_ours, writeback_facts
from auditor.render.sbom_source import Original, original_for, writeback_notice

TOOL_NAME = "origin-auditor"
PREFIX = "auditor"
_ML_TYPES = {ComponentKind.MODEL: "machine-learning-model", ComponentKind.DATASET: "data"}
_ML = frozenset(_ML_TYPES)


SYNTAXES = ("json", "xml")
"""What is written back, each in its own syntax (XML: `sbom_enrich_cdx_xml`)."""


def write_back(scan: Scan) -> str | None:
    """The enriched document when `scan` is of one unchanged CycloneDX SBOM."""
    found = original_for(scan, "cyclonedx", SYNTAXES)
    if not isinstance(found, Original):
        return None
    if found.syntax == "json":
        return render_enriched(scan, found)
    from auditor.render.sbom_enrich_cdx_xml import has_dtd, render_enriched_xml

    return None if has_dtd(found.data) else render_enriched_xml(scan, found)


def notice(scan: Scan) -> str | None:
    """Why a scan of one SBOM gets our own BOM instead, if it does."""
    said = writeback_notice(scan, "cyclonedx", SYNTAXES)
    if said is not None:
        return said
    found = original_for(scan, "cyclonedx", SYNTAXES)
    if isinstance(found, Original) and found.syntax == "xml":
        from auditor.render.sbom_enrich_cdx_xml import has_dtd

        if has_dtd(found.data):
            return (
                f"{found.path.name}: the XML SBOM carries a DTD, which is not written back; "
                "wrote origin-auditor's own CycloneDX document instead of the enriched one"
            )
    return None


def render_enriched(scan: Scan, original: Original) -> str:
    """The enriched document as indented JSON."""
    return dump(enrich(original.json(), scan, original))


def dump(document: dict[str, Any]) -> str:
    """Indented JSON, through orjson (the standard library's indenting encoder is pure
    Python: 30 s for a 20,000-component SBOM); json for what orjson refuses (an integer
    beyond 64 bits)."""
    import orjson

    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    except TypeError:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def writeback_serial(scan_id: str) -> str:
    """Our document's serial: derived from the scan id, so a scan's write-back and its own
    BOM (which takes the scan id) never share one."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'urn:{TOOL_NAME}:write-back:{scan_id}')}"


def spec_version(document: dict[str, Any]) -> tuple[int, int]:
    """The document's spec version as (major, minor); 1.4 when it does not say (the oldest
    we write back)."""
    major, _, minor = str(document.get("specVersion", "1.4")).partition(".")
    try:
        return int(major), int(minor)
    except ValueError:
        return 1, 4


def enrich(document: dict[str, Any], scan: Scan, original: Original) -> dict[str, Any]:
    """`document` (the vendor's, parsed) with our origins added; changed in place and
    returned."""
    version = spec_version(document)
    index = Index(scan)
    taken = _Taken(document)
    metadata = document.get("metadata")
    described = metadata.get("component") if isinstance(metadata, dict) else None
    for component in _walk([described, *_list(document.get("components"))], "components"):
        facts = index.find(component.get("bom-ref"), component.get("purl"))
        if facts is not None:
            _enrich_component(component, facts, version, taken)
    for service in _walk(_list(document.get("services")), "services"):
        facts = index.find(service.get("bom-ref"), None)
        if facts is not None:
            _enrich_service(service, facts, version)
    _rewrite_header(document, scan, original, version)
    return document


def _enrich_component(
    component: dict[str, Any], facts: Facts, version: tuple[int, int], taken: _Taken
) -> None:
    if "supplier" not in component and facts.supplier is not None:
        component["supplier"] = _entity(facts.supplier, version)
    if version >= (1, 6) and "manufacturer" not in component and facts.manufacturer is not None:
        component["manufacturer"] = _entity(facts.manufacturer, version)
    if facts.component.kind in _ML and facts.ancestors:
        _add_ancestors(component, facts, taken)
    if facts.repository is not None:
        references = component.setdefault("externalReferences", [])
        if isinstance(references, list) and not any(
            isinstance(r, dict) and r.get("type") == "vcs" for r in references
        ):
            references.append({"type": "vcs", "url": facts.repository})
    _set_properties(component, facts.properties)


def _enrich_service(service: dict[str, Any], facts: Facts, version: tuple[int, int]) -> None:
    if "provider" not in service and facts.supplier is not None:
        service["provider"] = _entity(facts.supplier, version)
    _set_properties(service, facts.properties)


def _add_ancestors(component: dict[str, Any], facts: Facts, taken: _Taken) -> None:
    pedigree = component.setdefault("pedigree", {})
    if not isinstance(pedigree, dict):
        return
    ancestors = pedigree.setdefault("ancestors", [])
    if not isinstance(ancestors, list):
        return
    stated = {a.get("purl") for a in ancestors if isinstance(a, dict)}
    child = str(component.get("bom-ref") or facts.component.purl)
    for ancestor in facts.ancestors:
        if ancestor.purl not in stated:
            ancestors.append(_ancestor(ancestor, child, taken))


def _ancestor(ancestor: Ancestor, child: str, taken: _Taken) -> dict[str, Any]:
    kind = ancestor.component.kind if ancestor.component else ComponentKind.MODEL
    ref = f"{child}#ancestor:{ancestor.purl}"
    ref = taken.claim(ref)
    entry: dict[str, Any] = {
        "type": _ML_TYPES.get(kind, "library"),
        "bom-ref": ref,
        "name": ancestor.name,
    }
    if ancestor.version:
        entry["version"] = ancestor.version
    if ancestor.purl.startswith("pkg:"):
        entry["purl"] = ancestor.purl
    return entry


def _entity(party: Party, version: tuple[int, int]) -> dict[str, Any]:
    """An organizationalEntity; `address` exists from CycloneDX 1.6 on."""
    entity: dict[str, Any] = {"name": party.name}
    if party.country and version >= (1, 6):
        entity["address"] = {"country": party.country}
    return entity


def _set_properties(item: dict[str, Any], ours: tuple[tuple[str, str], ...]) -> None:
    kept = list(strip_ours(item.get("properties")))
    if not ours and not kept and "properties" not in item:
        return
    item["properties"] = [*kept, *({"name": n, "value": v} for n, v in ours)]


def _rewrite_header(
    document: dict[str, Any], scan: Scan, original: Original, version: tuple[int, int]
) -> None:
    """A new serial, version 1, our timestamp and tool; the vendor's kept in metadata."""
    source_serial = document.get("serialNumber")
    source_version = document.get("version", 1)
    document["serialNumber"] = writeback_serial(scan.id)
    document["version"] = 1
    metadata = document.setdefault("metadata", {})
    source_timestamp = metadata.get("timestamp")
    metadata["timestamp"] = scan.started_at
    _add_tool(metadata, scan.tool_version, version)
    facts = writeback_facts(
        scan, original.path, original.sha256, source_serial, source_version, source_timestamp
    )
    _set_properties(metadata, facts)
    link = bom_link(source_serial, source_version)
    references = document.setdefault("externalReferences", [])
    if isinstance(references, list):
        references.append(
            {
                "url": link or PurePosixPath(original.path.as_posix()).name,
                "comment": "the vendor's SBOM this document adds origin-auditor's origins to",
                "type": "bom",
                "hashes": [{"alg": "SHA-256", "content": original.sha256}],
            }
        )


def bom_link(serial: object, version: object) -> str | None:
    """`urn:cdx:<uuid>/<version>`: CycloneDX's BOM-Link to a whole BOM."""
    if not isinstance(serial, str) or not serial.startswith("urn:uuid:"):
        return None
    try:
        parsed = uuid.UUID(serial.removeprefix("urn:uuid:"))
    except ValueError:
        return None
    return f"urn:cdx:{parsed}/{version if isinstance(version, int) else 1}"


def _add_tool(metadata: dict[str, Any], tool_version: str, version: tuple[int, int]) -> None:
    """origin-auditor among the tools, in the shape the document already uses (1.5 added
    `tools.components`; the 1.4 array is still allowed after it)."""
    tools = metadata.get("tools")
    if isinstance(tools, dict):
        listed = tools.setdefault("components", [])
        if isinstance(listed, list):
            listed.append({"type": "application", "name": TOOL_NAME, "version": tool_version})
    elif isinstance(tools, list):
        tools.append({"name": TOOL_NAME, "version": tool_version})
    elif tools is None and version >= (1, 5):
        metadata["tools"] = {
            "components": [{"type": "application", "name": TOOL_NAME, "version": tool_version}]
        }
    elif tools is None:
        metadata["tools"] = [{"name": TOOL_NAME, "version": tool_version}]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _walk(items: list[Any], key: str) -> Iterator[dict[str, Any]]:
    """Every object in `items` and, nested under `key`, theirs (depth first, in order)."""
    stack = [i for i in reversed(items) if isinstance(i, dict)]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(i for i in reversed(_list(item.get(key))) if isinstance(i, dict))


class _Taken:
    """The document's bom-refs, collected when the first new one is made (only a model's
    pedigree makes any; walking a 20,000-component document for nothing costs seconds)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        self._refs: set[str] | None = None

    def claim(self, ref: str) -> str:
        """`ref`, or it primed until no other element has it; then taken."""
        if self._refs is None:
            self._refs = set(_refs(self._document))
        while ref in self._refs:  # bom-refs are unique across the document
            ref += "'"
        self._refs.add(ref)
        return ref


def _refs(value: object) -> Iterator[str]:
    """Every `bom-ref` in the document, wherever it is."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("bom-ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
