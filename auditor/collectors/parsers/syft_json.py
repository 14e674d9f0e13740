"""syft's own JSON (`syft -o syft-json`) as a target: `*.syft.json` when a folder is walked,
any file starting like one when named (or with the `sbom:` prefix). Read by auditor.sbom.syft;
syft publishes its JSON schema but ships no validator for it, so every value is type-checked
as it is read, and a document without an `artifacts` array is refused.
"""

from __future__ import annotations

import json

from auditor.bounded import TooDeep, load_json
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.errors import ParseError
from auditor.sources import Tree

NAME = "syft-json"


def sniff(head: bytes) -> bool:
    """A JSON object that starts with syft's `artifacts` and names a cataloger."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return (
        text.startswith(b"{")
        and b'"artifacts"' in text
        and (b'"foundBy"' in text or b'"artifactRelationships"' in text)
    )


def parse(tree: Tree, path: str) -> Collected:
    """Every artifact of the document as a component."""
    from auditor.sbom.collect import to_collected
    from auditor.sbom.syft import read_document

    try:
        data = load_json(tree.read_bytes(path))
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except TooDeep as exc:
        raise ParseError(path, f"JSON {exc}") from None
    except ValueError as exc:
        raise ParseError(path, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), list):
        raise ParseError(path, "not a syft JSON document: no `artifacts` array")
    descriptor = data.get("descriptor")
    if not isinstance(descriptor, dict) or descriptor.get("name") != "syft":
        raise ParseError(path, "not a syft JSON document: `descriptor.name` is not syft")
    return to_collected(read_document(data, path), NAME, tree.ref)


PARSER = FileParser(NAME, ("*.syft.json",), parse, sniff, sbom=True)
