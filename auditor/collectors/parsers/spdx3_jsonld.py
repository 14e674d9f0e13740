"""SPDX 3.0 JSON-LD (`*.spdx3.json`, `*.spdx.jsonld`) -> components through the shared SBOM
model (`auditor.sbom.spdx3`, `auditor.sbom.collect`): software, AI (`ai_AIPackage`) and
dataset (`dataset_DatasetPackage`) packages, their suppliers and originators as `declared`
evidence, dependencies and lineage as edges."""

from __future__ import annotations

from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.sources import Tree


def sniff(head: bytes) -> bool:
    """A JSON object whose `@context` is SPDX 3's."""
    from auditor.sbom.spdx3 import sniff as spdx3

    return spdx3(head)


def parse(tree: Tree, path: str) -> Collected:
    """Every package element of the graph, its relationships as edges."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.spdx3 import read

    return to_collected(read(tree.read_text(path), path), PARSER.name, tree.ref)


PARSER: FileParser = FileParser(
    name="spdx3-jsonld",
    patterns=("*.spdx3.json", "*.spdx.jsonld"),
    parse=parse,
    sniff=sniff,
    sbom=True,
)
