"""CycloneDX JSON BOMs (1.4-1.7, ML-BOMs with `modelCard`, SaaSBOMs with `services`) as
targets: `*.cdx.json` and `bom.json` when a folder is walked, any file whose first bytes say
`"bomFormat": "CycloneDX"` when named (or with the `sbom:` prefix).

The document is schema-checked, whole, against cyclonedx-python-lib's schema
(auditor.sbom.cyclonedx_check) and read by auditor.sbom.cyclonedx; components, services,
edges and the vendor's claims come from auditor.sbom.collect. A document the schema rejects
is a ParseError naming the first violations (a named target: exit 2; a discovered one: a
diagnostic); one rejected only for properties the schema does not define is read, with a
diagnostic naming them.
"""

from __future__ import annotations

from typing import Any

from auditor.bounded import json_document
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.errors import Diagnostic, ParseError
from auditor.sources import Tree

NAME = "cyclonedx-json"


def sniff(head: bytes) -> bool:
    """A JSON object naming `"bomFormat": "CycloneDX"` near its start."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and b'"bomFormat"' in text and b'"CycloneDX"' in text


def parse(tree: Tree, path: str) -> Collected:
    """The BOM's components and services, checked against its spec version's schema."""
    text = tree.read_bytes(path)
    return collected(json_document(text, path), tree, path, NAME)


def collected(data: Any, tree: Tree, path: str, found_by: str) -> Collected:
    """A parsed CycloneDX JSON object, checked, read and collected."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.cyclonedx import read_document
    from auditor.sbom.cyclonedx_check import check_json, schema_version

    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise ParseError(path, 'not a CycloneDX BOM: no "bomFormat": "CycloneDX"')
    spec = data.get("specVersion")
    version = schema_version(spec) if isinstance(spec, str) else None
    if version is None or version.value < (1, 2):
        raise ParseError(
            path,
            f"specVersion {spec!r}: not a CycloneDX JSON version this version reads",
            hint="CycloneDX 1.4-1.7 (1.2 and 1.3 are read too)",
        )
    checked = check_json(data, version)
    if checked.errors:
        raise ParseError(
            path,
            f"not a valid CycloneDX {spec} document: " + "; ".join(checked.errors),
            hint="the schema is the specification's, as cyclonedx-python-lib ships it",
        )
    found = to_collected(read_document(data, path), found_by, tree.ref)
    notes = []
    if checked.extra:
        shown = ", ".join(checked.extra[:5]) + (" …" if len(checked.extra) > 5 else "")
        notes.append(
            Diagnostic(path, f"CycloneDX {spec} defines no property {shown}; read the rest")
        )
    return Collected(
        found.components, found.dependencies, found.findings, (*found.diagnostics, *notes)
    )


PARSER = FileParser(NAME, ("*.cdx.json", "bom.json"), parse, sniff, sbom=True)
