"""`sbom.hash-mismatch`: the hashes a vendor's SBOM states for a component, against the digests
the registry serves for that release (every file of a PyPI release; npm's `dist.integrity`
and `dist.shasum`).

An SBOM hash is compared only with the registry's digests of the same algorithm: a SHA-512
the SBOM gives says nothing against a registry that serves SHA-256 alone, so no finding is
made then (nothing is known either way). A stated hash matching none of the release's files'
digests of its algorithm is the finding, naming the algorithm, the SBOM's value and the
registry's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from auditor.model import Component, Evidence, Finding
from auditor.policy.builtin import finding

SOURCE = "sbom"
"""`Evidence.source` of what an SBOM said about a component (auditor/sbom/collect.py)."""
HASH_FIELD = "hash"
"""`Evidence.field` of one hash the SBOM states (`algorithm:hex`), when the reader records
which of a component's hashes came from the SBOM."""
_SHOWN = 3


def algorithm(name: str) -> str:
    """A comparable algorithm name: `SHA-256`, `sha256` and `sha_256` are one algorithm,
    PyPI's `blake2b_256` and CycloneDX's `BLAKE2b-256` too."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def from_sbom(component: Component) -> bool:
    """Whether an SBOM described this component (its reader leaves `sbom` evidence)."""
    return any(e.source == SOURCE for e in component.evidence)


def stated_hashes(component: Component) -> tuple[str, ...]:
    """The `algorithm:hex` hashes the SBOM states for the component: those its reader
    recorded as evidence, else (a reader that records none) every hash of a component that
    only an SBOM described."""
    recorded = tuple(
        e.value.lower() for e in component.evidence if e.source == SOURCE and e.field == HASH_FIELD
    )
    if recorded:
        return recorded
    return component.hashes if from_sbom(component) else ()


def served_digests(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """(algorithm, hex) pairs a registry serves, grouped by comparable algorithm name."""
    grouped: dict[str, set[str]] = {}
    for name, value in pairs:
        if value:
            grouped.setdefault(algorithm(name), set()).add(value.strip().lower())
    return {k: frozenset(v) for k, v in grouped.items()}


def mismatches(
    component: Component,
    served: Mapping[str, frozenset[str]],
    subject: str,
    evidence: Evidence,
) -> tuple[Finding, ...]:
    """One `sbom.hash-mismatch` per algorithm both sides know where an SBOM hash matches
    none of the registry's digests of that algorithm; () when the algorithms never meet."""
    stated: dict[str, list[str]] = {}
    for text in stated_hashes(component):
        name, _, value = text.partition(":")
        if value:
            stated.setdefault(algorithm(name), []).append(value.lower())
    found = []
    for name in sorted(stated.keys() & served.keys()):
        wrong = [v for v in stated[name] if v not in served[name]]
        if not wrong:
            continue
        theirs = sorted(served[name])
        shown = ", ".join(theirs[:_SHOWN]) + (f" (+{len(theirs) - _SHOWN} more)"
                                               if len(theirs) > _SHOWN else "")  # fmt: skip
        found.append(
            finding(
                "sbom.hash-mismatch",
                component.purl,
                f"the SBOM gives {subject} the {name} hash {wrong[0]}, which matches none of the"
                f" {len(theirs)} {name} digest(s) the registry serves for that release: {shown}",
                (evidence,),
            )
        )
    return tuple(found)
