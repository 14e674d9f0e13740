"""The facts a `{fact: NAME, …}` condition can test, by name (documented in the README)."""

from __future__ import annotations

from collections.abc import Callable

from auditor.model import DECLARED_DISAGREEMENT, MODEL_LAB, Claim, Origin, PublisherKind
from auditor.policy.subject import Fact, Subject


def _claim(claim: Claim | None) -> str | None:
    return None if claim is None else claim.value


def _ecosystem(s: Subject) -> str:
    return s.component.purl[4:].partition("/")[0]


def _namespace(s: Subject) -> str | None:
    path = s.component.purl[4:].partition("?")[0].partition("@")[0].split("/")
    return "/".join(path[1:-1]) or None


FACETS = ("publisher", "repository", "organisation", "country")


def _stronger_conflicts(s: Subject) -> tuple[str, ...]:
    """Conflicts in which a registry or attested fact takes part (not only declared links)."""
    found = s.origin.conflicts if s.origin else ()
    return tuple(c for c in found if not c.startswith(DECLARED_DISAGREEMENT))


def _declared_conflicts(s: Subject) -> tuple[str, ...]:
    """Conflicts among the uploader's own declared links only."""
    found = s.origin.conflicts if s.origin else ()
    return tuple(c for c in found if c not in _stronger_conflicts(s))


def _changes(s: Subject) -> str:
    """`repository A -> B; country X -> Y`: only what changed since the previous scan."""
    from auditor.policy.predicates import changed_facets

    before = s.context.previous.get(s.component.purl)
    return "; ".join(
        f"{facet} {_claim(getattr(before, facet))} -> {_claim(getattr(s.origin, facet))}"
        for facet in changed_facets(s)
    )


def _squat(s: Subject, part: str) -> Fact:
    found = s.context.typosquat(s.component, s.origin)
    if found is None:
        return None if part == "score" else ()
    return found.score if part == "score" else found.reasons


def _root_licences(s: Subject) -> str:
    """` (lineage roots: llama3.2)` for a derived model with root licences; else empty, so a
    message never says `lineage roots: none`."""
    roots = s.origin.roots if s.origin else ()
    found = [r.license for r in roots if r.license and r.relation != "self"]
    return f" (lineage roots: {', '.join(found)})" if found else ""


def _attribution(s: Subject) -> str:
    """`publisher Qwen; Alibaba Group, CN` — what a person reads in a message, saying plainly
    what is not known instead of printing `unknown (…)`."""
    origin = s.origin
    publisher, organisation, country = (
        _claim(getattr(origin, f)) if origin else None
        for f in ("publisher", "organisation", "country")
    )
    whose = ", ".join(v for v in (organisation, country) if v)
    if publisher and whose:
        return f"publisher {publisher}; {whose}"
    if publisher:
        return f"publisher {publisher}; organisation not known"
    return whose or "publisher not known"


def _lineage(s: Subject) -> str:
    """`; base model Qwen/Qwen2.5-7B (Alibaba Cloud, CN)` for each lineage root that is not
    the component itself; empty when there is none (so a message reads without it)."""
    roots = [r for r in (s.origin.roots if s.origin else ())
             if r.purl != s.component.purl and r.relation != MODEL_LAB]  # fmt: skip
    parts = []
    for root in roots:
        name = root.purl[4:].partition("/")[2].partition("@")[0].partition("?")[0] or root.purl
        whose = ", ".join(v for v in (root.organisation, root.country) if v)
        parts.append(f"{name} ({whose})" if whose else name)
    return f"; base model {', '.join(parts)}" if parts else ""


def _lab_note(s: Subject) -> str:
    """`; through the model's lab DeepSeek (CN)` for a hosted service whose model's lab is
    known (a `model-lab` root: auditor.graph.trace); empty otherwise."""
    labs = [r for r in (s.origin.roots if s.origin else ()) if r.relation == MODEL_LAB]
    parts = [f"{r.organisation or r.purl} ({r.country or 'country unknown'})" for r in labs]
    return f"; through the model's lab {', '.join(parts)}" if parts else ""


def _own_country(s: Subject) -> Fact:
    """The component's own country for a message; `self-hosted` for an endpoint on this
    machine or a private network, whose own origin is the target's operator, not unknown."""
    origin = s.origin
    self_hosted = origin is not None and origin.publisher_kind is PublisherKind.SELF_HOSTED
    if self_hosted and origin is not None and origin.country is None:
        return "self-hosted"
    return _claim(origin.country) if origin else None


def _previous(facet: str) -> Callable[[Subject], Fact]:
    def read(s: Subject) -> Fact:
        before = s.context.previous.get(s.component.purl)
        return _claim(getattr(before, facet)) if before is not None else None

    return read


def _commit(origin: Origin | None) -> str | None:
    found = [e.value for e in origin.evidence if e.field == "ref.commit"] if origin else []
    return found[-1] if found else None


def _tag_moved(s: Subject) -> str | None:
    """`<old commit> -> <new commit>` when the previous scan saw this action's tag (the same
    purl) at another commit; None otherwise."""
    before = _commit(s.context.previous.get(s.component.purl))
    now = _commit(s.origin)
    return f"{before} -> {now}" if before and now and before != now else None


FACTS: dict[str, Callable[[Subject], Fact]] = {
    "component.purl": lambda s: s.component.purl,
    "component.name": lambda s: s.component.name,
    "component.version": lambda s: s.component.version,
    "component.pin": lambda s: s.component.version or "no revision",
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
    "origin.own_country": _own_country,
    "origin.conflicts": lambda s: s.origin.conflicts if s.origin else (),
    "origin.conflicts.registry": _stronger_conflicts,
    "origin.conflicts.declared": _declared_conflicts,
    "origin.attribution": _attribution,
    "origin.lineage": _lineage,
    "origin.changes": _changes,
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
    "origin.roots.license_note": lambda s: _root_licences(s),
    "origin.roots.lab_note": _lab_note,
    "origin.evidence.fields": lambda s: (
        tuple(e.field for e in s.origin.evidence) if s.origin else ()
    ),
    "action.commit": lambda s: _commit(s.origin),
    "action.tag_moved": _tag_moved,
    "job.permissions": lambda s: tuple(
        dict.fromkeys(e.value for e in s.component.evidence if e.field == "job.permissions")
    ),
    "release.age_days": lambda s: s.release_age_days(),
    "typosquat.of": lambda s: s.context.typosquat_of(s.component),
    "typosquat.score": lambda s: _squat(s, "score"),
    "typosquat.reasons": lambda s: _squat(s, "reasons"),
    **{f"previous.{facet}": _previous(facet) for facet in FACETS},
}
"""Name -> how to read it. Unknown values are None (or an empty tuple for lists)."""
