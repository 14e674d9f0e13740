"""SPDX 2.2/2.3 JSON (`*.spdx.json`) -> components, through spdx-tools and the shared SBOM
model (`auditor.sbom.spdx2`, `auditor.sbom.collect`): what a vendor's SPDX SBOM lists, each
supplier and originator kept as `declared` evidence. The spdx-tools validator's complaints are
diagnostics; a document its parser refuses is a ParseError."""

from __future__ import annotations

from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.sources import Tree


def sniff(head: bytes) -> bool:
    """A JSON object naming `"spdxVersion": "SPDX-2.x"` near its start."""
    start = head.lstrip()[:4096]
    return start.startswith(b"{") and b'"spdxVersion"' in start and b'"SPDX-2.' in start


def parse(tree: Tree, path: str) -> Collected:
    """Every package of the document, its relationships as edges."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.spdx2 import read_json

    document, diagnostics = read_json(tree.read_text(path), path)
    found = to_collected(document, PARSER.name, tree.ref)
    return Collected(
        found.components, found.dependencies, found.findings, found.diagnostics + diagnostics
    )


PARSER: FileParser = FileParser(
    name="spdx-json", patterns=("*.spdx.json",), parse=parse, sniff=sniff, sbom=True
)
