"""SPDX 2.2/2.3 tag-value (`*.spdx`) -> components, through spdx-tools' tag-value parser and
the shared SBOM model (`auditor.sbom.spdx2`, `auditor.sbom.collect`). A document the parser
refuses is a ParseError with the line it names; validator complaints are diagnostics."""

from __future__ import annotations

import re

from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.sources import Tree

_START = re.compile(rb"\A(?:\s*#[^\n]*\n|\s*\n)*\s*SPDXVersion:\s*SPDX-2\.")


def sniff(head: bytes) -> bool:
    """The first tag (after comments and blank lines) is `SPDXVersion: SPDX-2.x`."""
    return _START.match(head.lstrip(b"\xef\xbb\xbf")) is not None


def parse(tree: Tree, path: str) -> Collected:
    """Every package of the document, its relationships as edges."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.spdx2 import read_tag_value

    document, diagnostics = read_tag_value(tree.read_text(path), path)
    found = to_collected(document, PARSER.name, tree.ref)
    return Collected(
        found.components, found.dependencies, found.findings, found.diagnostics + diagnostics
    )


PARSER: FileParser = FileParser(
    name="spdx-tag-value", patterns=("*.spdx",), parse=parse, sniff=sniff, sbom=True
)
