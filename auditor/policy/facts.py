"""The facts a `{fact: NAME, …}` condition can test, by name (documented in the README)."""

from __future__ import annotations

from collections.abc import Callable

from auditor.model import Claim
from auditor.policy.subject import Fact, Subject, versionless


def _claim(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value


def _ecosystem(s: Subject) -> str:
    return s.component.purl[4:].partition("/")[0]


def _namespace(s: Subject) -> str | None:
    path = s.component.purl[4:].partition("?")[0].partition("@")[0].split("/")
    return "/".join(path[1:-1]) or None


FACETS = ("publisher", "repository", "organisation", "country")


def _previous(facet: str) -> Callable[[Subject], Fact]:
    def read(s: Subject) -> Fact:
        before = s.context.previous.get(versionless(s.component.purl))
        return _claim(getattr(before, facet)) if before is not None else None

    return read


FACTS: dict[str, Callable[[Subject], Fact]] = {
    "component.purl": lambda s: s.component.purl,
    "component.name": lambda s: s.component.name,
    "component.version": lambda s: s.component.version,
    "component.kind": lambda s: s.component.kind.value,
    "component.ecosystem": _ecosystem,
    "component.namespace": _namespace,
    "component.license": lambda s: s.component.license,
    "component.direct": lambda s: s.component.direct,
    "component.hashes": lambda s: s.component.hashes,
    "component.found_by": lambda s: s.component.found_by,
    "component.paths": lambda s: tuple(loc.path for loc in s.component.locations),
    "origin.status": lambda s: s.origin.status.value if s.origin else None,
    "origin.reason": lambda s: s.origin.reason if s.origin else None,
    "origin.publisher": lambda s: _claim(s.origin.publisher) if s.origin else None,
    "origin.repository": lambda s: _claim(s.origin.repository) if s.origin else None,
    "origin.organisation": lambda s: _claim(s.origin.organisation) if s.origin else None,
    "origin.country": lambda s: _claim(s.origin.country) if s.origin else None,
    "origin.conflicts": lambda s: s.origin.conflicts if s.origin else (),
    "origin.roots": lambda s: tuple(r.purl for r in s.origin.roots) if s.origin else (),
    "origin.roots.organisation": lambda s: (
        tuple(r.organisation for r in s.origin.roots if r.organisation) if s.origin else ()
    ),
    "origin.roots.country": lambda s: (
        tuple(r.country for r in s.origin.roots if r.country) if s.origin else ()
    ),
    "origin.roots.license": lambda s: (
        tuple(r.license for r in s.origin.roots if r.license and r.relation != "self")
        if s.origin
        else ()
    ),
    "origin.evidence.fields": lambda s: (
        tuple(e.field for e in s.origin.evidence) if s.origin else ()
    ),
    "release.age_days": lambda s: s.release_age_days(),
    "typosquat.of": lambda s: s.context.typosquat_of(s.component),
    **{f"previous.{facet}": _previous(facet) for facet in FACETS},
}
"""Name -> how to read it. Unknown values are None (or an empty tuple for lists)."""
