"""CycloneDX documents checked against the specification's schema for the document's own
`specVersion`: the schema files cyclonedx-python-lib ships (the very files its validators
load), for JSON with jsonschema-rs, for XML with the library's XSD validator.

JSON: the library's own JSON validator (jsonschema) costs ~2 ms a component, its schema's
`uniqueItems` on `components` compares every pair, and importing it compiles ~40 grammars
(rfc3987-syntax, 1.5 s): a 20,000-component vendor SBOM took minutes. jsonschema-rs checks
the whole of that document against the same schema in well under a second. A document the
schema rejects only for properties it does not define is still read, with a diagnostic
naming them (`Checked.extra`); `bom-ref`s are checked unique over the whole document, which
is what the specification requires of them.

XML: the library's XSD validation (lxml, C) is fast, so the whole document is validated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

SHOWN = 3
"""Schema errors named in a message."""


@dataclass(frozen=True, slots=True)
class Checked:
    """What the schema says of a document."""

    errors: tuple[str, ...] = ()
    """Violations that make the document unusable (the first few)."""
    extra: tuple[str, ...] = ()
    """Properties the schema does not define (the document is still read)."""


def schema_version(text: str) -> Any:
    """The library's SchemaVersion for a `specVersion` string; None when it knows none."""
    from cyclonedx.schema import SchemaVersion

    try:
        return SchemaVersion.from_version(text)
    except (ValueError, TypeError):
        return None


def _where(path: Iterable[object]) -> str:
    return "/".join(str(p) for p in path) or "(document)"


_SHARED = (
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
    "cryptography-defs.SNAPSHOT.schema.json",
)
"""The schemas the BOM schemas refer to, by the URI the library registers them under."""
_SCHEMA_BASE = "http://cyclonedx.org/schema/"


@cache
def _validator(version: Any) -> Any:
    """A jsonschema-rs validator of the library's BOM schema for `version` (a SchemaVersion)."""
    import jsonschema_rs
    from cyclonedx.schema._res import BOM_JSON

    folder = Path(BOM_JSON[version] or "").parent
    shared = [
        (_SCHEMA_BASE + name, orjson.loads((folder / name).read_bytes()))
        for name in _SHARED
        if (folder / name).is_file()
    ]
    schema = orjson.loads(Path(BOM_JSON[version] or "").read_bytes())
    return jsonschema_rs.validator_for(schema, registry=jsonschema_rs.Registry(shared))


def check_json(data: dict[str, Any], version: Any) -> Checked:
    """The JSON document `data` against the schema of `version` (a SchemaVersion)."""
    import jsonschema_rs

    errors: list[str] = []
    extra: list[str] = []
    try:
        found = list(_validator(version).iter_errors(data))
    except UnicodeEncodeError:
        # A lone surrogate (a JSON `\\ud800` escape) is no Unicode jsonschema-rs can take:
        # the rest of the document is still checked, that text as the escape it was written as.
        found = list(_validator(version).iter_errors(_escaped(data)))
    for error in found:
        where = _where(error.instance_path)
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            extra.extend(f"{where}/{name}" for name in error.kind.unexpected)
        elif len(errors) < SHOWN:
            errors.append(f"{where}: {_short(error.message)}")
    errors.extend(_duplicate_refs(data))
    return Checked(tuple(errors[:SHOWN]), tuple(dict.fromkeys(extra)))


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


def _escaped(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) written as `\\udXXX`."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    return value
