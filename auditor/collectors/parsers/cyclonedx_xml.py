"""CycloneDX XML BOMs (1.4-1.7) as targets: `*.cdx.xml` and `bom.xml` when a folder is
walked, any file whose first bytes name the CycloneDX namespace when named.

Parsed safely (auditor.sbom.cyclonedx_xml: no DTD, no entities, bounded nesting), validated
against the spec version's XSD with cyclonedx-python-lib, then read like the JSON form.
"""

from __future__ import annotations

from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.errors import ParseError
from auditor.sources import Tree

NAME = "cyclonedx-xml"


def sniff(head: bytes) -> bool:
    """An XML document whose root is a `bom` in the CycloneDX namespace."""
    return b"<bom" in head and b"http://cyclonedx.org/schema/bom/" in head


def parse(tree: Tree, path: str) -> Collected:
    """The BOM's components and services, checked against its spec version's XSD."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.cyclonedx import read_document
    from auditor.sbom.cyclonedx_check import check_xml, schema_version
    from auditor.sbom.cyclonedx_xml import XmlProblem, as_json_shape
    from auditor.sbom.cyclonedx_xml import parse as parse_xml

    data = tree.read_bytes(path)
    try:
        root, spec = parse_xml(data)
    except XmlProblem as exc:
        raise ParseError(path, str(exc)) from None
    version = schema_version(spec)
    if version is None or version.value < (1, 2):
        raise ParseError(
            path,
            f"namespace version {spec!r}: not a CycloneDX XML version this version reads",
            hint="CycloneDX 1.4-1.7 (1.2 and 1.3 are read too)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(path, f"not UTF-8 text (byte {exc.start})") from None
    checked = check_xml(text, version)
    if checked.errors:
        raise ParseError(
            path,
            f"not a valid CycloneDX {spec} document: " + "; ".join(checked.errors),
            hint="the schema is the specification's, as cyclonedx-python-lib ships it",
        )
    return to_collected(read_document(as_json_shape(root, spec), path), NAME, tree.ref)


PARSER = FileParser(NAME, ("*.cdx.xml", "bom.xml"), parse, sniff, sbom=True)
