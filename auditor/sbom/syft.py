"""syft's own JSON (`syft -o syft-json`, schema 16) as an SbomDocument.

Each `artifacts` entry is a package: `id` is its ref, `type` its kind word (`python`, `npm`,
`deb` …), `purl`, `cpes` (only those from a dictionary: `syft-generated` ones are syft's
guesses from the name, not a claim anybody made), `licenses` (objects with `value` /
`spdxExpression`, or plain strings in older schemas), and from `metadata` the author
(`authors`), a Debian `maintainer` (`supplier`, as syft's own SPDX output names it) and an
npm lock entry's `integrity` digest. `artifactRelationships`: `dependency-of` (the parent is
the child's dependency) becomes a dependency, `contains` between two packages nesting.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from auditor.sbom.document import Party, SbomDocument, SbomEntry

GUESSED_CPE = "syft-generated"


def _str(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _list(obj: Any, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def _cpes(artifact: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for cpe in _list(artifact, "cpes"):
        if isinstance(cpe, str):  # schemas before 7 list plain strings
            continue  # (all of them guesses)
        if (value := _str(cpe, "cpe")) and _str(cpe, "source") not in (None, GUESSED_CPE):
            found.append(value)
    return tuple(found)


def _licences(artifact: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for licence in _list(artifact, "licenses"):
        if isinstance(licence, str) and licence.strip():
            found.append(licence.strip())
        elif text := (_str(licence, "spdxExpression") or _str(licence, "value")):
            found.append(text)
    return tuple(found)


def _integrity(metadata: Any) -> tuple[str, ...]:
    """An npm lock entry's SRI `integrity` (`sha512-<base64>`) as `sha512:<hex>`."""
    found = []
    for part in (_str(metadata, "integrity") or "").split():
        alg, _, b64 = part.partition("-")
        if alg in ("sha1", "sha256", "sha384", "sha512") and b64:
            try:
                found.append(f"{alg}:{base64.b64decode(b64, validate=True).hex()}")
            except (binascii.Error, ValueError):
                continue
    return tuple(found)


def _parties(metadata: Any) -> tuple[Party, ...]:
    found = []
    if author := _str(metadata, "author"):
        found.append(Party(author, "authors", email=_str(metadata, "authorEmail")))
    if maintainer := _str(metadata, "maintainer"):
        found.append(Party(maintainer, "supplier"))
    return tuple(found)


def read_document(data: dict[str, Any], path: str) -> SbomDocument:
    """The packages of a syft JSON document; `data` is its top-level object."""
    entries = []
    for index, artifact in enumerate(_list(data, "artifacts")):
        if not isinstance(artifact, dict):
            continue
        metadata = artifact.get("metadata")
        entries.append(
            SbomEntry(
                ref=_str(artifact, "id") or f"artifacts[{index}]",
                name=_str(artifact, "name") or "",
                version=_str(artifact, "version"),
                purl=_str(artifact, "purl"),
                kind=_str(artifact, "type") or "",
                hashes=_integrity(metadata),
                cpes=_cpes(artifact),
                licences=_licences(artifact),
                parties=_parties(metadata),
            )
        )
    refs = {e.ref for e in entries}
    dependencies = []
    parents: dict[str, str] = {}
    for relation in _list(data, "artifactRelationships"):
        parent, child, kind = (
            _str(relation, "parent"),
            _str(relation, "child"),
            _str(relation, "type"),
        )
        if parent not in refs or child not in refs or parent is None or child is None:
            continue
        if kind == "dependency-of":
            dependencies.append((child, parent))
        elif kind == "contains":
            parents.setdefault(child, parent)
    if parents:
        entries = [
            SbomEntry(
                **{**{f: getattr(e, f) for f in SbomEntry.__slots__}, "parent_ref": parents[e.ref]}
            )
            if e.ref in parents
            else e
            for e in entries
        ]
    descriptor = data.get("descriptor")
    schema = data.get("schema")
    tool = _str(descriptor, "name")
    source = data.get("source")
    return SbomDocument(
        path=path,
        format="syft",
        spec_version=_str(schema, "version") or "",
        serial=_str(source, "id"),
        created=None,
        creators=(f"Tool: {tool}-{_str(descriptor, 'version') or ''}".rstrip("-"),) if tool else (),
        subject=None,
        entries=tuple(entries),
        dependencies=tuple(dict.fromkeys(dependencies)),
    )
