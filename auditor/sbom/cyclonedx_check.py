"""CycloneDX documents checked against the specification's schema with cyclonedx-python-lib's
validators (`cyclonedx.validation`), for the document's own `specVersion`.

JSON: the library validates with jsonschema, ~2 ms a component, and the schema's
`uniqueItems` on `components` compares every pair (20,000 components: minutes). So the
document is validated in pieces, each a valid BOM of its own: the top level with the large
arrays left out, then the components, services and dependencies in chunks of CHUNK; only
the first SCHEMA_CHECKED components are schema-checked (the reader type-checks every value
it takes from the rest), and `bom-ref`s are checked unique over the whole document, which is
what the specification requires of them. A document the schema rejects only for properties
it does not define is still read, with a diagnostic naming them (`Checked.extra`).

XML: the library's XSD validation (lxml, C) is fast, so the whole document is validated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

SCHEMA_CHECKED = 500
"""Components (and as many services and dependency entries) schema-checked per document."""
CHUNK = 100
"""Array items validated per piece: `uniqueItems` compares each pair within a piece."""
SHOWN = 3
"""Schema errors named in a message."""
_LARGE = ("components", "services", "dependencies")


@dataclass(frozen=True, slots=True)
class Checked:
    """What the schema says of a document."""

    errors: tuple[str, ...] = ()
    """Violations that make the document unusable (the first few)."""
    extra: tuple[str, ...] = ()
    """Properties the schema does not define (the document is still read)."""
    partial: str | None = None
    """How much of a large document was schema-checked, when not all of it."""


def schema_version(text: str) -> Any:
    """The library's SchemaVersion for a `specVersion` string; None when it knows none."""
    from cyclonedx.schema import SchemaVersion

    try:
        return SchemaVersion.from_version(text)
    except (ValueError, TypeError):
        return None


def _where(error: Any, offset: int) -> str:
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] in _LARGE and isinstance(path[1], int):
        path[1] += offset
    return "/".join(str(p) for p in path) or "(document)"


def _extra_names(error: Any) -> list[str]:
    instance, properties = error.instance, error.schema.get("properties", {})
    if not isinstance(instance, dict):
        return []
    patterns = error.schema.get("patternProperties", {})
    return [k for k in instance if k not in properties and not patterns]


def check_json(data: dict[str, Any], version: Any) -> Checked:
    """The JSON document `data` against the schema of `version` (a SchemaVersion)."""
    from cyclonedx.validation.json import JsonValidator

    validator = JsonValidator(version)
    errors: list[str] = []
    extra: list[str] = []
    top = {k: v for k, v in data.items() if k not in _LARGE}

    def run(piece: dict[str, Any], offset: int) -> None:
        found = validator.validate_str(orjson.dumps(piece).decode(), all_errors=True)
        for wrapped in found or ():
            error = wrapped.data
            where = _where(error, offset)
            if error.validator == "additionalProperties":
                names = _extra_names(error) or ["?"]
                extra.extend(f"{where}/{n}" for n in names)
            elif len(errors) < SHOWN:
                errors.append(f"{where}: {_short(error.message)}")

    run(top, 0)
    partial = None
    for key in _LARGE:
        items = data.get(key)
        if not isinstance(items, list):
            if key in data:
                run({**top, key: items}, 0)
            continue
        if len(items) > SCHEMA_CHECKED:
            partial = (
                f"schema-checked the first {SCHEMA_CHECKED} of {len(items)} {key} "
                "(validation takes ~2 ms an item); every value read was type-checked"
            )
        for start in range(0, min(len(items), SCHEMA_CHECKED), CHUNK):
            run({**top, key: items[start : start + CHUNK]}, start)
            if len(errors) >= SHOWN:
                break
    errors.extend(_duplicate_refs(data))
    return Checked(tuple(errors[:SHOWN]), tuple(dict.fromkeys(extra)), partial)


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _duplicate_refs(data: dict[str, Any]) -> list[str]:
    """`bom-ref`s given twice (the specification: unique within the BOM)."""
    seen: set[str] = set()
    for ref in _refs(data):
        if ref in seen:
            return [f"bom-ref {ref!r} is given to more than one element"]
        seen.add(ref)
    return []


def _refs(data: Any, depth: int = 0) -> Iterable[str]:
    """Every bom-ref of components (nested, and metadata.component) and services."""
    if depth > 32:
        return
    if isinstance(data, dict):
        ref = data.get("bom-ref")
        if isinstance(ref, str) and depth:
            yield ref
        for key in ("metadata", "component", "components", "services"):
            if key in data:
                yield from _refs(data[key], depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _refs(item, depth + 1)


def check_xml(text: str, version: Any) -> Checked:
    """The XML document against the XSD of `version` (a SchemaVersion)."""
    from cyclonedx.validation.xml import XmlValidator

    found = XmlValidator(version).validate_str(text, all_errors=True)
    errors = [
        f"line {e.data.line}: {_short(e.data.message)}" for e in (found or ())
    ]  # lxml _LogEntry
    return Checked(tuple(errors[:SHOWN]))
