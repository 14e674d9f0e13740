"""`--format spdx` on a scan of one SPDX 2.2/2.3 SBOM: the vendor's document written back
as SPDX JSON with our origins added, in the input's SPDX version.

Kept as the vendor wrote it: every package with its SPDXID, files, snippets, relationships,
licences, `documentDescribes`, the document's name, and every supplier or originator the
vendor stated (ours never overwrites one; where both speak, ours is in the annotation). A
tag-value input is read with spdx-tools and written as SPDX JSON (the format `spdx` writes),
which carries every tag-value field.

Added, to each package the scan has a component for:
- `supplier` (`Organization: <our attributed organisation>`) and `originator` (whose work it
  is: the first lineage root's organisation, the package itself without lineage), when the
  vendor left them out or wrote NOASSERTION. SPDX 2 has no country field: the countries are
  in the annotation;
- one annotation (`annotationType` OTHER, annotator `Tool: origin-auditor-<version>`) whose
  comment is our `auditor:*` facts, one `name=value` a line (the vocabulary of our
  CycloneDX properties: origin status, publisher, organisation, country with strengths, each
  lineage root, each finding). Annotations of ours already there are replaced.

The document is ours now: a new `documentNamespace`, `creationInfo.created` the scan's time,
origin-auditor among the creators (the vendor's stay), the vendor's document named in
`externalDocumentRefs` (`DocumentRef-origin-auditor-source`: its namespace and the SHA1 of
its file, as SPDX references another document) and a document annotation recording its
namespace, creation time and file digest.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote

from auditor.model import Scan
from auditor.render.sbom_enrich import Index
from auditor.render.sbom_enrich_cdx import dump
from auditor.render.sbom_source import Original, original_for, writeback_notice
from auditor.render.spdx import NAMESPACE_BASE, NOASSERTION, _timestamp, actor

SYNTAXES = ("json", "tag-value")
SOURCE_REF = "DocumentRef-origin-auditor-source"
TOOL = "origin-auditor"


def write_back(scan: Scan) -> str | None:
    """The enriched document when `scan` is of one unchanged SPDX 2 SBOM."""
    found = original_for(scan, "spdx", SYNTAXES)
    if not isinstance(found, Original):
        return None
    document = load_document(found)
    if document is None:
        return None
    return dump(enrich(document, scan, found))


def notice(scan: Scan) -> str | None:
    """Why a scan of one SBOM gets our own SPDX document instead, if it does."""
    said = writeback_notice(scan, "spdx", SYNTAXES)
    if said is not None:
        return said
    found = original_for(scan, "spdx", SYNTAXES)
    if isinstance(found, Original) and load_document(found) is None:
        return (
            f"{found.path.name}: spdx-tools is missing or cannot read this tag-value document "
            "again; "
            "wrote origin-auditor's own SPDX document instead of the enriched one"
        )
    return None


def load_document(original: Original) -> dict[str, Any] | None:
    """The document as SPDX JSON (a dict); None for tag-value spdx-tools cannot read."""
    if original.syntax == "json":
        return original.json()
    text = _tag_value_json(original.data)
    return json.loads(text) if text is not None else None


@functools.lru_cache(maxsize=2)
def _tag_value_json(data: bytes) -> str | None:
    """A tag-value document as SPDX JSON text (spdx-tools reads and converts it); None when
    it cannot. Cached: the renderer and its notice ask for the same bytes."""
    try:  # a test dependency; the SPDX readers need it at run time too
        from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
        from spdx_tools.spdx.parser.error import SPDXParsingError
        from spdx_tools.spdx.parser.tagvalue.parser import Parser
    except ImportError:
        return None

    try:
        # No parser tables or debug file written beside the installed library (ply's default).
        document = Parser(debug=False, write_tables=False).parse(data.decode("utf-8-sig"))
        converter = DocumentConverter()
        return json.dumps(converter.convert(document))
    except (SPDXParsingError, UnicodeDecodeError, ValueError, TypeError):
        return None


def enrich(document: dict[str, Any], scan: Scan, original: Original) -> dict[str, Any]:
    """`document` (the vendor's, as SPDX JSON) with our origins added; changed in place and
    returned."""
    index = Index(scan)
    creator = f"Tool: {TOOL}-{scan.tool_version}"
    when = _timestamp(scan.started_at)
    packages = document.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        facts = index.find(package.get("SPDXID"), _purl(package))
        if facts is None:
            continue
        if _unstated(package.get("supplier")) and facts.supplier is not None:
            package["supplier"] = "Organization: " + actor(facts.supplier.name)
        if _unstated(package.get("originator")) and facts.manufacturer is not None:
            package["originator"] = "Organization: " + actor(facts.manufacturer.name)
        comment = "\n".join(f"{n}={v}" for n, v in facts.properties)
        if comment:
            _annotate(package, creator, when, comment)
    _rewrite_header(document, scan, original, creator, when)
    return document


def _unstated(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", NOASSERTION))


def _purl(package: dict[str, Any]) -> str | None:
    refs = package.get("externalRefs")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            locator = ref.get("referenceLocator")
            return locator if isinstance(locator, str) else None
    return None


def _annotate(item: dict[str, Any], creator: str, when: str, comment: str) -> None:
    stated = item.get("annotations")
    kept = [a for a in stated if not _is_ours(a)] if isinstance(stated, list) else []
    ours = {
        "annotationDate": when,
        "annotationType": "OTHER",
        "annotator": creator,
        "comment": comment,
    }
    item["annotations"] = [*kept, ours]


def _is_ours(annotation: object) -> bool:
    annotator = annotation.get("annotator") if isinstance(annotation, dict) else None
    return isinstance(annotator, str) and annotator.startswith(f"Tool: {TOOL}-")


def _rewrite_header(
    document: dict[str, Any], scan: Scan, original: Original, creator: str, when: str
) -> None:
    source_namespace = document.get("documentNamespace")
    document["documentNamespace"] = f"{NAMESPACE_BASE}{quote(scan.id, safe='')}/write-back"
    info = document.setdefault("creationInfo", {})
    source_created = info.get("created") if isinstance(info, dict) else None
    if isinstance(info, dict):
        info["created"] = when
        creators = info.setdefault("creators", [])
        if isinstance(creators, list) and creator not in creators:
            creators.append(creator)
    if isinstance(source_namespace, str) and source_namespace:
        references = document.setdefault("externalDocumentRefs", [])
        if isinstance(references, list):
            references[:] = [
                r
                for r in references
                if not (isinstance(r, dict) and r.get("externalDocumentId") == SOURCE_REF)
            ]
            references.append(
                {
                    "externalDocumentId": SOURCE_REF,
                    "spdxDocument": source_namespace,
                    "checksum": {"algorithm": "SHA1", "checksumValue": original.sha1},
                }
            )
    facts = [
        ("source-namespace", source_namespace),
        ("source-created", source_created),
        ("source-sha256", original.sha256),
        ("source-file", original.path.name),
        ("source-syntax", original.syntax),
        ("scan:id", scan.id),
        ("scan:status", scan.status.value),
        ("scan:finished-at", scan.finished_at),
        ("scan:policy-version", scan.policy_version),
        ("scan:diagnostics", len(scan.diagnostics)),
    ]
    comment = "\n".join(f"auditor:{n}={v}" for n, v in facts if v is not None)
    _annotate(document, creator, when, comment)
