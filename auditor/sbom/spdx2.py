"""SPDX 2.2/2.3 documents (JSON and tag-value) -> SbomDocument, read by spdx-tools.

spdx-tools parses the document into its model (a field it cannot use is an SPDXParsingError:
a ParseError naming the file and, for tag-value, the line); its validator then checks the
model. Validation messages are diagnostics, not a rejection: the published SPDX examples and
syft's own output fail some rules (a relative `downloadLocation`, `licenseInfoFromFiles` on a
package whose files were not analysed) yet say clearly which packages they hold.

Decisions:
- Only packages are entries: SPDX `files` and `snippets` describe contents, not components.
- purl: the first `PACKAGE-MANAGER`/`PACKAGE_MANAGER` external reference of type `purl`;
  CPEs: `SECURITY` references of type `cpe22Type`/`cpe23Type`; checksums `algorithm:hex`.
- `supplier` and `originator` (`Organization: X (email)`, `Person: Y`) are parties with the
  roles `supplier`/`originator`; `NOASSERTION` names no party.
- Licence: `licenseDeclared`, else `licenseConcluded` (NOASSERTION and NONE say nothing).
- Relationships: `DEPENDS_ON` and the `*_DEPENDENCY_OF` family are dependencies; `CONTAINS`
  / `CONTAINED_BY` make the container the entry's parent (the first one named);
  `DESCENDANT_OF`, `VARIANT_OF`, `GENERATED_FROM` and `ANCESTOR_OF` name ancestors (by purl,
  else by name). The first package the document `DESCRIBES` is its subject.
- The spdx-tools validator compares every reference with a fresh list of every id, so it is
  quadratic, and its JSON parser builds type-checked objects at ~0.1 ms a field: above
  `FULL_CHECK` elements a JSON document is read from its dict alone (each field we read
  type-checked) and a tag-value one is parsed by spdx-tools but not validated; the
  validator's cross-reference checks (dangling relationship ends, duplicate ids) are done
  here with sets instead, and a diagnostic says so. 20,000 packages read in about a second.
- One mapping for both syntaxes: the tag-value model is converted by spdx-tools to the dict
  the JSON syntax spells, and `_from_dict` reads that.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from auditor.errors import Diagnostic, ParseError
from auditor.sbom.document import Party, SbomDocument, SbomEntry

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document

FULL_CHECK = 2_000
"""Packages + files + relationships up to which spdx-tools parses and validates."""
_COUNTED = ("packages", "files", "snippets", "relationships")
_UNVALIDATED = (
    f"{{size}} elements: not run through the spdx-tools validator (its checks are quadratic;"
    f" it runs up to {FULL_CHECK:,}); fields, relationship ends and ids checked here"
)
SHOWN = 5
"""Validation messages kept as diagnostics per document; the rest are counted."""

_JSON_ID = re.compile(r'^\s*"SPDXID"\s*:\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)
_TAG_ID = re.compile(r"^\s*SPDXID\s*:\s*(\S+)", re.MULTILINE)
_LINE = re.compile(r"\bline:? ?(\d+)", re.IGNORECASE)
_DEPENDENCY_OF = frozenset(
    {
        "DEPENDENCY_OF",
        "BUILD_DEPENDENCY_OF",
        "DEV_DEPENDENCY_OF",
        "OPTIONAL_DEPENDENCY_OF",
        "PROVIDED_DEPENDENCY_OF",
        "RUNTIME_DEPENDENCY_OF",
        "TEST_DEPENDENCY_OF",
    }
)
_DERIVED = frozenset({"DESCENDANT_OF", "VARIANT_OF", "GENERATED_FROM"})
"""`A <type> B`: B is an ancestor of A."""


def read_json(text: str, path: str) -> tuple[SbomDocument, tuple[Diagnostic, ...]]:
    """An SPDX 2 JSON document; ParseError when it is not one spdx-tools can read."""
    from auditor.bounded import json_document

    data = json_document(text, path)
    if not isinstance(data, dict) or not str(data.get("spdxVersion", "")).startswith("SPDX-2"):
        raise ParseError(path, "not an SPDX 2 JSON document (no `spdxVersion: SPDX-2.x`)")
    size = sum(len(v) for k in _COUNTED if isinstance(v := data.get(k), list))
    if size <= FULL_CHECK:
        from spdx_tools.spdx.parser.error import SPDXParsingError
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import (
            JsonLikeDictParser,
        )

        try:
            document = JsonLikeDictParser().parse(data)
        except SPDXParsingError as exc:
            raise ParseError(path, _messages(exc.get_messages())) from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            # spdx-tools assumes the shapes it expects (a string where a list is written…)
            raise ParseError(path, f"not a usable SPDX 2 document ({type(exc).__name__})") from None
        messages = _validate(document)
    else:
        messages = [_UNVALIDATED.format(size=size)]
    read = _from_dict(data, path, _lines(_JSON_ID, text))
    if size > FULL_CHECK:
        messages.extend(_cross_references(data, path))
    return read, _diagnostics(path, messages)


def read_tag_value(text: str, path: str) -> tuple[SbomDocument, tuple[Diagnostic, ...]]:
    """An SPDX 2 tag-value document; ParseError (with the line) when spdx-tools refuses it."""
    from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        document = _tag_value_parser().parse(text)
    except SPDXParsingError as exc:
        messages = exc.get_messages()
        found = next((m for m in map(_LINE.search, messages) if m is not None), None)
        raise ParseError(path, _messages(messages), int(found[1]) if found else None) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise ParseError(path, f"not a usable SPDX 2 document ({type(exc).__name__})") from None
    version = document.creation_info.spdx_version
    if not version.startswith("SPDX-2"):
        raise ParseError(path, f"SPDXVersion {version!r}: only SPDX-2.2 and SPDX-2.3 are read")
    data = DocumentConverter().convert(document)
    size = sum(len(v) for k in _COUNTED if isinstance(v := data.get(k), list))
    if size <= FULL_CHECK:
        messages = _validate(document)
    else:  # parsed by spdx-tools all the same: only its quadratic validator is left out
        messages = [_UNVALIDATED.format(size=size), *_cross_references(data, path)]
    read = _from_dict(data, path, _lines(_TAG_ID, text))
    return read, _diagnostics(path, messages)


def _tag_value_parser() -> Any:
    """A fresh parser (it keeps the document's state) of the one class built once."""
    return _tag_value_class()(debug=False, write_tables=False)


@cache
def _tag_value_class() -> Any:
    """spdx-tools' tag-value parser, reading licence expressions with the one shared
    `Licensing`: its own builds a new one (~0.3 s) for every licence line."""
    from license_expression import ExpressionError  # type: ignore[import-untyped]
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.parser.tagvalue.helper_methods import grammar_rule
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    class _Parser(Parser):  # type: ignore[misc]
        @grammar_rule("license_or_no_assertion_or_none : LINE")  # type: ignore[untyped-decorator]
        def p_license(self, p: Any) -> None:
            try:
                p[0] = spdx_licensing.parse(p[1])
            except ExpressionError as err:
                message = f"Error while parsing license expression: {p[1]}"
                message += f": {err.args[0]}" if err.args else ""
                self.current_element["logger"].append(message)

    return _Parser


_SETTER = re.compile(
    r"SetterError (\w+): Method \S+ parameter (\w+)=(.*?) violates type hint.*?\.: "
)


def _tidy(message: str) -> str:
    """spdx-tools' type-check failures as `Package.spdx_id: 3 is of the wrong type`."""
    return _short(_SETTER.sub(lambda m: f"{m[1]}.{m[2]}: {m[3]} is of the wrong type; ", message))


def _messages(messages: list[str]) -> str:
    shown = "; ".join(_tidy(str(m)) for m in messages[:SHOWN])
    more = len(messages) - SHOWN
    return f"{shown} (and {more} more)" if more > 0 else shown or "not an SPDX 2 document"


def _lines(pattern: re.Pattern[str], text: str) -> dict[str, int]:
    """SPDXID -> the 1-based line where it is first declared (one pass over the text)."""
    found: dict[str, int] = {}
    line, last = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        found.setdefault(match[1], line)
    return found


_ACTOR = re.compile(r"^\s*(Person|Organization|Tool)\s*:\s*(.*?)\s*(?:\(([^()]*)\))?\s*$")


def _from_dict(data: dict[str, Any], path: str, lines: dict[str, int]) -> SbomDocument:
    """The document as JSON spells it (the tag-value model converted to it by spdx-tools),
    each field we read type-checked: a large document reaches here unparsed by spdx-tools."""
    doc_id = _text(data, "SPDXID", path) or "SPDXRef-DOCUMENT"
    info = data.get("creationInfo", {})
    if not isinstance(info, dict):
        raise ParseError(path, "creationInfo: expected an object")
    packages = _objects(data, "packages", path)
    by_id = {_text(p, "SPDXID", path, f"packages[{i}]") or "": p for i, p in enumerate(packages)}
    parents: dict[str, str] = {}
    ancestors: dict[str, list[str]] = {}
    dependencies: list[tuple[str, str]] = []
    described = [d for d in data.get("documentDescribes", []) if isinstance(d, str)]
    subject = next((d for d in described if d in by_id), None)
    for index, rel in enumerate(_objects(data, "relationships", path)):
        where = f"relationships[{index}]"
        a = _text(rel, "spdxElementId", path, where) or ""
        b = _text(rel, "relatedSpdxElement", path, where) or ""
        kind = (_text(rel, "relationshipType", path, where) or "").upper().replace("-", "_")
        if kind == "DESCRIBES" and a == doc_id and subject is None and b in by_id:
            subject = b
        elif kind == "DESCRIBED_BY" and b == doc_id and subject is None and a in by_id:
            subject = a
        elif kind == "DEPENDS_ON":
            dependencies.append((a, b))
        elif kind in _DEPENDENCY_OF:
            dependencies.append((b, a))
        elif kind == "CONTAINS" and a in by_id:
            parents.setdefault(b, a)
        elif kind == "CONTAINED_BY" and b in by_id:
            parents.setdefault(a, b)
        elif kind in _DERIVED and b in by_id:
            ancestors.setdefault(a, []).append(_named(by_id[b], path))
        elif kind == "ANCESTOR_OF" and a in by_id:
            ancestors.setdefault(b, []).append(_named(by_id[a], path))
    entries = tuple(_entry(p, i, path, lines, parents, ancestors) for i, p in enumerate(packages))
    creators = info.get("creators", [])
    return SbomDocument(
        path=path,
        format="spdx",
        spec_version=str(data.get("spdxVersion", "")),
        serial=_text(data, "documentNamespace", path),
        created=_text(info, "created", path, "creationInfo"),
        creators=tuple(c for c in creators if isinstance(c, str))
        if isinstance(creators, list)
        else (),
        subject=subject,
        entries=entries,
        dependencies=tuple(dict.fromkeys(dependencies)),
    )


def _objects(data: dict[str, Any], key: str, path: str, where: str = "") -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ParseError(path, f"{where + '.' if where else ''}{key}: expected an array of objects")
    return value


def _text(data: dict[str, Any], key: str, path: str, where: str = "") -> str | None:
    """A string field (None when absent); ParseError naming the field when not a string."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(path, f"{where + '.' if where else ''}{key}: expected a string")
    return value


def _refs(package: dict[str, Any], path: str, where: str) -> list[tuple[str, str, str]]:
    """(category as PACKAGE-MANAGER/SECURITY…, type, locator) of each external reference."""
    found = []
    for index, ref in enumerate(_objects(package, "externalRefs", path, where)):
        at = f"{where}.externalRefs[{index}]"
        category = (_text(ref, "referenceCategory", path, at) or "").upper().replace("_", "-")
        kind = _text(ref, "referenceType", path, at) or ""
        locator = (_text(ref, "referenceLocator", path, at) or "").strip()
        found.append((category, kind, locator))
    return found


def _purl(package: dict[str, Any], path: str, where: str = "packages") -> str | None:
    refs = _refs(package, path, where)
    return next((loc for c, k, loc in refs if c == "PACKAGE-MANAGER" and k == "purl" and loc), None)


def _named(package: dict[str, Any], path: str) -> str:
    return _purl(package, path) or str(package.get("name") or package.get("SPDXID"))


def _entry(
    package: dict[str, Any],
    index: int,
    path: str,
    lines: dict[str, int],
    parents: dict[str, str],
    ancestors: dict[str, list[str]],
) -> SbomEntry:
    where = f"packages[{index}]"
    ref = _text(package, "SPDXID", path, where) or f"{where}"
    refs = _refs(package, path, where)
    hashes = []
    for n, checksum in enumerate(_objects(package, "checksums", path, where)):
        at = f"{where}.checksums[{n}]"
        algorithm = (_text(checksum, "algorithm", path, at) or "").lower().replace("_", "-")
        value = (_text(checksum, "checksumValue", path, at) or "").strip().lower()
        if algorithm and value:
            hashes.append(f"{algorithm}:{value}")
    parties = []
    for role in ("supplier", "originator"):
        actor = _ACTOR.match(_text(package, role, path, where) or "")
        if actor is not None and actor[2]:
            parties.append(Party(actor[2], role, email=actor[3] or None))
    licence = _licence(_text(package, "licenseDeclared", path, where)) or _licence(
        _text(package, "licenseConcluded", path, where)
    )
    purpose = _text(package, "primaryPackagePurpose", path, where) or ""
    file_name = _text(package, "packageFileName", path, where)
    return SbomEntry(
        ref=ref,
        name=_text(package, "name", path, where) or ref,
        version=_text(package, "versionInfo", path, where) or None,
        purl=next(
            (loc for c, k, loc in refs if c == "PACKAGE-MANAGER" and k == "purl" and loc), None
        ),
        kind=purpose.lower().replace("-", "_"),
        hashes=tuple(hashes),
        cpes=tuple(
            loc for c, k, loc in refs if c == "SECURITY" and k in ("cpe22Type", "cpe23Type")
        ),
        licences=(licence,) if licence else (),
        parties=tuple(parties),
        ancestors=tuple(dict.fromkeys(ancestors.get(ref, []))),
        parent_ref=parents.get(ref),
        line=lines.get(ref),
        # the file name BSI TR-03183-2 §5.2.2 asks for (auditor/sbom/profiles.py)
        properties=(("spdx:packageFileName", file_name),) if file_name else (),
    )


def _licence(expression: str | None) -> str | None:
    """The expression as written; NOASSERTION, NONE and absence say nothing."""
    value = (expression or "").strip()
    return None if value in ("", "NOASSERTION", "NONE") else value


def _validate(document: Document) -> list[str]:
    """The spdx-tools validator's messages, each cut to one readable line."""
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    return [_short(m.validation_message) for m in validate_full_spdx_document(document)]


_RELATIONSHIP = re.compile(
    r"Relationship\(spdx_element_id='([^']*)', relationship_type=<RelationshipType\.(\w+): \d+>,"
    r" related_spdx_element_id='([^']*)'(?:, comment=(?:None|'[^']*'))?\)"
)


def _short(message: str, limit: int = 200) -> str:
    """One line of at most `limit` characters, spdx-tools' relationship reprs as `A TYPE B`."""
    one = _RELATIONSHIP.sub(r"\1 \2 \3", " ".join(message.split()))
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _cross_references(data: dict[str, Any], path: str) -> list[str]:
    """Duplicate SPDXIDs and relationship ends naming no element of the document (the
    validator's own check of these lists every id once per reference)."""
    ids = [str(data.get("SPDXID"))]
    for key in ("packages", "files", "snippets"):
        ids.extend(str(e.get("SPDXID")) for e in _objects(data, key, path))
    known = set(ids)
    messages = []
    if len(known) < len(ids):
        messages.append("every SPDXID must be unique within the document")
    for rel in _objects(data, "relationships", path):
        for end in (rel.get("spdxElementId"), rel.get("relatedSpdxElement")):
            if isinstance(end, str) and end not in known and _internal(end):
                messages.append(f"relationship names {end!r}, which the document lacks")  # noqa: PERF401
    return messages


def _internal(ref: str) -> bool:
    """An id of this document (not `DocumentRef-x:SPDXRef-y`, NONE or NOASSERTION)."""
    return ":" not in ref and ref not in ("NONE", "NOASSERTION")


def _diagnostics(path: str, messages: list[str]) -> tuple[Diagnostic, ...]:
    """The first SHOWN messages as diagnostics, then how many more."""
    found = [Diagnostic(path, f"SPDX validation: {m}") for m in messages[:SHOWN]]
    if len(messages) > SHOWN:
        found.append(Diagnostic(path, f"SPDX validation: {len(messages) - SHOWN} more problems"))
    return tuple(found)
