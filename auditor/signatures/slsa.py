"""SLSA provenance (v0.2 and v1) read from an in-toto statement's predicate: who built it,
from which repository and commit. Any shape is accepted; a field of the wrong type is absent."""

from __future__ import annotations

from typing import Any

from auditor.urls import normalise_repository

SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"


def slsa_provenance(predicate_type: str, predicate: Any) -> list[tuple[str, str]]:
    """(field, value) pairs: builder id, source repository and commit of SLSA provenance.

    Any shape is accepted: a field of the wrong type is treated as absent.
    """
    found: list[tuple[str, str]] = []
    if predicate_type.startswith(SLSA_V02):
        builder = at(predicate, "builder", "id")
        sources = [at(predicate, "invocation", "configSource"), *objects(predicate, "materials")]
    elif predicate_type.startswith(SLSA_V1):
        builder = at(predicate, "runDetails", "builder", "id")
        sources = objects(at(predicate, "buildDefinition"), "resolvedDependencies")
        workflow = at(predicate, "buildDefinition", "externalParameters", "workflow")
        if isinstance(at(workflow, "repository"), str):
            sources.insert(0, {"uri": workflow["repository"]})
    else:
        return found
    if isinstance(builder, str) and builder:
        found.append(("slsa.builder.id", builder))
    for source in sources:
        uri = at(source, "uri")
        if not isinstance(uri, str):
            continue
        repository = normalise_repository(uri.removeprefix("git+").partition("@")[0])
        if repository is None:
            continue
        found.append(("slsa.source.repository", repository))
        commit = at(source, "digest", "gitCommit") or at(source, "digest", "sha1")
        if isinstance(commit, str) and commit:
            found.append(("slsa.source.commit", commit))
            break
    return list(dict.fromkeys(found))


def at(doc: Any, *keys: str) -> Any:
    """doc[k1][k2]…, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def objects(doc: Any, key: str) -> list[dict[str, Any]]:
    """The objects in list doc[key] (anything else in it, or a non-list, is skipped)."""
    value = at(doc, key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
