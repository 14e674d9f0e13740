"""Validate an SPDX 3.0.1 JSON-LD document the way the SPDX project's own `spdx3-validate`
does: against the JSON schema, then its RDF graph against the model's SHACL shapes (pyshacl,
the model as shapes and as ontology mixed into the data). The schema, shapes and JSON-LD
context are the official 3.0.1 files shipped under tests/data/spdx3/ (README there names
their source), so nothing is fetched: the document's `@context` URL is swapped for the
local copy before parsing."""

from __future__ import annotations

import json
import warnings
from functools import cache
from typing import Any

import jsonschema
import rdflib

from tests.conftest import DATA

SPDX3 = DATA / "spdx3"
CONTEXT_URL = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


@cache
def schema() -> dict[str, Any]:
    """The SPDX 3.0.1 JSON schema (draft 2020-12), checked to be a valid schema."""
    found: dict[str, Any] = json.loads((SPDX3 / "spdx-json-schema.json").read_text("utf-8"))
    jsonschema.validators.validator_for(found).check_schema(found)
    return found


@cache
def _validator(definition: str | None = None) -> Any:
    """jsonschema-rs over the whole schema, or over one class (`$defs/<definition>`, as the
    schema checks each `@graph` item): the reference `jsonschema` takes about a second per
    element on this schema (its `unevaluatedProperties` under `anyOf`s), jsonschema-rs
    milliseconds for a document; test_spdx3.py checks that both agree."""
    import jsonschema_rs

    whole = schema()
    if definition is None:
        return jsonschema_rs.validator_for(whole)
    one = {"$schema": whole["$schema"], "$defs": whole["$defs"], "type": "object",
           "$ref": f"#/$defs/{definition}", "unevaluatedProperties": False}  # fmt: skip
    return jsonschema_rs.validator_for(one)


@cache
def _context() -> Any:
    return json.loads((SPDX3 / "spdx-context.jsonld").read_text(encoding="utf-8"))["@context"]


@cache
def shapes() -> rdflib.Graph:
    """The SPDX 3.0.1 model (OWL + SHACL)."""
    return rdflib.Graph().parse(SPDX3 / "spdx-model.ttl", format="turtle")


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """JSON-schema violations; for an invalid document, each `@graph` item's own (the whole
    schema's `oneOf` reports only that the document is not valid)."""
    if _validator().is_valid(doc):
        return []
    found = []
    for n, item in enumerate(doc.get("@graph", ())):
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(kind, str) or kind not in schema()["$defs"]:
            found.append(f"@graph[{n}]: unknown type {kind!r}")
            continue
        found += [
            f"@graph[{n}] ({kind}) {e.instance_path}: {e.message[:300]}"
            for e in _validator(kind).iter_errors(item)
        ]
    return found or [f"{e.instance_path}: {e.message[:300]}" for e in _validator().iter_errors(doc)]


def graph_of(doc: dict[str, Any]) -> rdflib.Graph:
    """The document's RDF graph, read with the local context."""
    assert doc["@context"] == CONTEXT_URL
    local = {**doc, "@context": _context()}
    with warnings.catch_warnings():  # rdflib's own JSON-LD parser uses its deprecated class
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return rdflib.Graph().parse(data=json.dumps(local), format="json-ld")


def shacl_errors(doc: dict[str, Any]) -> list[str]:
    """SHACL violations: focus node, path and message of each."""
    import pyshacl

    # What `ont_graph=` does (the model's triples mixed into the data), done by a plain union:
    # the same verdicts, five times faster than pyshacl's copying of every RDF list.
    graph = graph_of(doc)
    graph += shapes()
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes())
    if conforms:
        return []
    sh = rdflib.namespace.SH
    return sorted(
        f"{results.value(r, sh.focusNode)} {results.value(r, sh.resultPath)}: "
        f"{results.value(r, sh.resultMessage)} (value {results.value(r, sh.value)})"
        for r in results.subjects(rdflib.RDF.type, sh.ValidationResult)
    )


def check(text: str, shacl: bool = True) -> dict[str, Any]:
    """Parse, validate against the schema (and the shapes); the document."""
    doc: dict[str, Any] = json.loads(text)
    errors = schema_errors(doc)
    assert errors == [], "\n".join(errors[:10])
    if shacl:
        violations = shacl_errors(doc)
        assert violations == [], "\n".join(violations[:10])
    return doc
