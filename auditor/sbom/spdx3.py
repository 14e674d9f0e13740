"""SPDX 3.0 JSON-LD documents -> SbomDocument, read from the `@graph` against the SPDX 3.0.1
model (no RDF library: the JSON serialisation names each element's `type` and its properties
by their compact names, which is all this reader needs).

What is read:
- Entries: `software_Package`, `ai_AIPackage` and `dataset_DatasetPackage` elements (files,
  snippets, licences, agents and relationships are not components). The kind word is the
  element type, or a `software_Package`'s `software_primaryPurpose` when it gives one.
- purl: `software_packageUrl`, else an `externalIdentifier` of type `packageUrl`; CPEs:
  types `cpe22`/`cpe23`; hashes: `verifiedUsing` `Hash` entries as `algorithm:hex`.
- Parties: `suppliedBy` (role `supplier`) and each `originatedBy` (role `originator`), named
  by the Agent element (`Organization`, `Person`, `SoftwareAgent`, `Agent`) the document
  holds with that id, its email from an `email` external identifier; an agent the document
  does not hold is named by its id as written (the document's word, never resolved).
- Relationships (`from` -> each `to`): `dependsOn`, `trainedOn`, `testedOn` are dependencies
  (a model needs its data; that is not lineage); `contains` makes the container the parent;
  `ancestorOf`, `descendantOf` and `generates` are lineage (`ancestors`, by purl else name);
  `hasDeclaredLicense` (else `hasConcludedLicense`) gives the licence from the licence
  element's `simplelicensing_licenseExpression` (a listed licence by its id's last part);
  `describes` from the document, or the SpdxDocument's `rootElement`, names the subject.
- Checked against the model: a JSON object with an SPDX 3 `@context` and an `@graph` array
  of objects, each with a string `type`; the properties above of the right JSON type; a
  relationship has `from`, `relationshipType` and a non-empty `to`. Anything else is a
  ParseError naming the element (`@graph[i]`, its id and line). Relationship types and
  element types we do not read are ignored, as are references to elements defined elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ParseError
from auditor.sbom.document import Party, SbomDocument, SbomEntry

PACKAGES = frozenset({"software_Package", "ai_AIPackage", "dataset_DatasetPackage"})
AGENTS = frozenset({"Agent", "Organization", "Person", "SoftwareAgent", "Tool"})
_DEPENDS = frozenset({"dependsOn", "trainedOn", "testedOn"})
_ALGORITHMS = {
    "sha3_224": "sha3-224",
    "sha3_256": "sha3-256",
    "sha3_384": "sha3-384",
    "sha3_512": "sha3-512",
    "blake2b256": "blake2b-256",
    "blake2b384": "blake2b-384",
    "blake2b512": "blake2b-512",
}
"""SPDX 3 HashAlgorithm names that differ from ours (the rest are equal: sha256, md5 …)."""
_ID = re.compile(r'^\s*"(?:spdxId|@id)"\s*:\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)


def sniff(head: bytes) -> bool:
    """A JSON object whose `@context` names an SPDX 3 one (a URL, or a list of them): the
    context file itself (`"@context": {…}` defining the terms) is no document."""
    import re

    return (
        head.lstrip().startswith(b"{")
        and b"spdx.org/rdf/3." in head
        and re.search(rb'"@context"\s*:\s*[\["]', head) is not None
    )


def read(text: str, path: str) -> SbomDocument:
    """The document's packages, agents and relationships; ParseError for a document that is
    not SPDX 3 JSON-LD or breaks the model's shapes for what is read."""
    from auditor.bounded import json_document

    data = json_document(text, path)
    if not isinstance(data, dict) or not _spdx3_context(data.get("@context")):
        raise ParseError(path, "not SPDX 3 JSON-LD (no `@context` of spdx.org/rdf/3.x)")
    graph = data.get("@graph")
    if not isinstance(graph, list):
        raise ParseError(path, "@graph: expected an array of elements")
    return _Reader(path, _lines(text)).read(graph)


def _spdx3_context(context: object) -> bool:
    items = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and "spdx.org/rdf/3." in c for c in items)


def _lines(text: str) -> dict[str, int]:
    """Element id -> the 1-based line of its first `"spdxId": "…"` (one pass)."""
    found: dict[str, int] = {}
    line, last = 1, 0
    for match in _ID.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        found.setdefault(match[1], line)
    return found


def _term(value: str) -> str:
    """A vocabulary value as its compact name (a full IRI's last part)."""
    return value.rstrip("/").rpartition("/")[2] if "/" in value else value


@dataclass
class _Reader:
    """One pass over the graph, collecting what the entries are assembled from."""

    path: str
    lines: dict[str, int]
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    licences: dict[str, str] = field(default_factory=dict)
    packages: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    relationships: list[tuple[int, str, str, list[str]]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    """`rootElement` ids of the SpdxDocument and any Bom/Sbom, in graph order."""

    def fail(self, index: int, element: dict[str, Any], message: str) -> ParseError:
        ref = element.get("spdxId") or element.get("@id")
        name = f"@graph[{index}] ({ref})" if isinstance(ref, str) else f"@graph[{index}]"
        line = self.lines.get(ref) if isinstance(ref, str) else None
        return ParseError(self.path, f"{name}: {message}", line)

    def text(self, index: int, element: dict[str, Any], key: str) -> str | None:
        value = element.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(index, element, f"{key}: expected a string")
        return value

    def texts(self, index: int, element: dict[str, Any], key: str) -> list[str]:
        value = element.get(key, [])
        if isinstance(value, str):
            return [value]  # JSON-LD allows a single value for a list
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(index, element, f"{key}: expected an array of strings")
        return value

    def objects(self, index: int, element: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = element.get(key, [])
        value = [value] if isinstance(value, dict) else value
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(index, element, f"{key}: expected an array of objects")
        return value

    def read(self, graph: list[Any]) -> SbomDocument:
        for index, element in enumerate(graph):
            if not isinstance(element, dict):
                raise ParseError(self.path, f"@graph[{index}]: expected an object")
            self.take(index, element)
        return self.assemble()

    def take(self, index: int, element: dict[str, Any]) -> None:
        kind = element.get("type", element.get("@type"))
        if not isinstance(kind, str):
            raise self.fail(index, element, "type: expected a string")
        ref = self.text(index, element, "spdxId") or self.text(index, element, "@id")
        if "rootElement" in element:
            self.roots.extend(self.texts(index, element, "rootElement"))
        if kind == "CreationInfo":
            self.info = self.info or element
        elif ref is None:
            raise self.fail(index, element, f"a {kind} needs an spdxId")
        elif kind in PACKAGES:
            self.packages.append((index, element))
        elif kind in AGENTS:
            self.agents[ref] = element
        elif kind.endswith("Relationship"):
            source = self.text(index, element, "from")
            rel = self.text(index, element, "relationshipType")
            targets = self.texts(index, element, "to")
            if source is None or rel is None or not targets:
                raise self.fail(index, element, "a relationship needs from, relationshipType, to")
            self.relationships.append((index, source, _term(rel), targets))
        elif kind == "simplelicensing_LicenseExpression":
            expression = self.text(index, element, "simplelicensing_licenseExpression")
            if expression and expression.strip() not in ("", "NOASSERTION", "NONE"):
                self.licences[ref] = expression.strip()
        elif kind.startswith("expandedlicensing_"):
            self.licences[ref] = self.text(index, element, "name") or _term(ref)
        elif kind == "SpdxDocument" and not self.document:
            self.document = element

    def assemble(self) -> SbomDocument:
        package_ids = {str(e.get("spdxId") or e.get("@id")): (i, e) for i, e in self.packages}
        parents: dict[str, str] = {}
        ancestors: dict[str, list[str]] = {}
        declared: dict[str, str] = {}
        concluded: dict[str, str] = {}
        dependencies: list[tuple[str, str]] = []
        subject = next((r for r in self.roots if r in package_ids), None)
        for _index, source, rel, targets in self.relationships:
            for target in targets:
                if rel in _DEPENDS:
                    dependencies.append((source, target))
                elif rel == "contains" and source in package_ids:
                    parents.setdefault(target, source)
                elif rel in ("ancestorOf", "generates") and source in package_ids:
                    ancestors.setdefault(target, []).append(self._named(package_ids[source]))
                elif rel == "descendantOf" and target in package_ids:
                    ancestors.setdefault(source, []).append(self._named(package_ids[target]))
                elif rel == "hasDeclaredLicense" and target in self.licences:
                    declared.setdefault(source, self.licences[target])
                elif rel == "hasConcludedLicense" and target in self.licences:
                    concluded.setdefault(source, self.licences[target])
                elif rel == "describes" and subject is None and target in package_ids:
                    subject = target
        entries = []
        for ref, (index, element) in package_ids.items():
            licence = declared.get(ref) or concluded.get(ref)
            entries.append(
                self._entry(index, element, ref, licence, parents.get(ref), ancestors.get(ref))
            )
        creators = [self._agent_name(a) for a in self._creators()]
        return SbomDocument(
            path=self.path,
            format="spdx",
            spec_version=str(self.info.get("specVersion") or "3.0"),
            serial=self.document.get("spdxId") or None,
            created=self.info.get("created") if isinstance(self.info.get("created"), str) else None,
            creators=tuple(creators),
            subject=subject,
            entries=tuple(entries),
            dependencies=tuple(dict.fromkeys(dependencies)),
        )

    def _creators(self) -> list[str]:
        found: list[str] = []
        for key in ("createdBy", "createdUsing"):
            value = self.info.get(key, [])
            found.extend(
                v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
            )
        return found

    def _agent_name(self, ref: str) -> str:
        agent = self.agents.get(ref)
        name = agent.get("name") if agent is not None else None
        return name.strip() if isinstance(name, str) and name.strip() else ref

    def _party(self, ref: str, role: str) -> Party:
        agent = self.agents.get(ref, {})
        email = None
        identifiers = agent.get("externalIdentifier", [])
        for identifier in identifiers if isinstance(identifiers, list) else []:
            if isinstance(identifier, dict) and identifier.get("externalIdentifierType") == "email":
                email = (
                    identifier.get("identifier")
                    if isinstance(identifier.get("identifier"), str)
                    else None
                )
                break
        url = ref if ref.startswith(("http://", "https://")) and not agent else None
        return Party(self._agent_name(ref), role, url=url, email=email)

    def _purl(self, index: int, element: dict[str, Any]) -> str | None:
        purl = self.text(index, element, "software_packageUrl")
        if purl and purl.strip():
            return purl.strip()
        for identifier in self.objects(index, element, "externalIdentifier"):
            kind = identifier.get("externalIdentifierType")
            value = identifier.get("identifier")
            if kind == "packageUrl" and isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def _named(self, found: tuple[int, dict[str, Any]]) -> str:
        index, element = found
        name = self.text(index, element, "name")
        return self._purl(index, element) or name or str(element.get("spdxId"))

    def _entry(
        self,
        index: int,
        element: dict[str, Any],
        ref: str,
        licence: str | None,
        parent: str | None,
        ancestors: list[str] | None,
    ) -> SbomEntry:
        hashes = []
        for check in self.objects(index, element, "verifiedUsing"):
            algorithm, value = check.get("algorithm"), check.get("hashValue")
            if check.get("type") != "Hash":
                continue  # a PackageVerificationCode is not a digest of the package
            if not isinstance(algorithm, str) or not isinstance(value, str):
                raise self.fail(index, element, "verifiedUsing: a Hash needs algorithm, hashValue")
            name = _term(algorithm).lower()
            hashes.append(f"{_ALGORITHMS.get(name, name)}:{value.strip().lower()}")
        cpes = [
            str(i.get("identifier"))
            for i in self.objects(index, element, "externalIdentifier")
            if i.get("externalIdentifierType") in ("cpe22", "cpe23")
            and isinstance(i.get("identifier"), str)
        ]
        supplier = self.text(index, element, "suppliedBy")
        parties = [self._party(supplier, "supplier")] if supplier else []
        parties.extend(
            self._party(o, "originator") for o in self.texts(index, element, "originatedBy")
        )
        kind = str(element.get("type") or element.get("@type"))
        purpose = self.text(index, element, "software_primaryPurpose")
        return SbomEntry(
            ref=ref,
            name=self.text(index, element, "name") or ref,
            version=self.text(index, element, "software_packageVersion") or None,
            purl=self._purl(index, element),
            kind=_term(purpose) if kind == "software_Package" and purpose else kind,
            hashes=tuple(hashes),
            cpes=tuple(cpes),
            licences=(licence,) if licence else (),
            parties=tuple(parties),
            ancestors=tuple(dict.fromkeys(ancestors or [])),
            parent_ref=parent,
            line=self.lines.get(ref),
        )
