"""The origin the collected files alone support: declared repository claims, nothing more.

Every registry resolver starts from this; with `--no-resolve` (or no resolver for an
ecosystem) it is the whole answer, and its status says why nothing was looked up.
"""

from __future__ import annotations

from auditor.model import DECLARED_DISAGREEMENT, Claim, Component, Origin, OriginStatus, Strength


def local_origin(component: Component, status: OriginStatus, reason: str | None) -> Origin:
    """An origin from the component's own declared evidence: only links that are its own
    repository count (auditor/links.py), not an upstream's, a docs or a `.github` one."""
    repositories: list[str] = []
    if component.evidence:  # a lockfile's pins carry none: no need to import the link rules
        from auditor.links import own_repositories

        pairs = ((e.field, e.value) for e in component.evidence)
        repositories = list(own_repositories(pairs, component.name))
    conflicts = (
        (f"{DECLARED_DISAGREEMENT}{', '.join(repositories)}",) if len(repositories) > 1 else ()
    )
    return Origin(
        purl=component.purl,
        status=status,
        reason=reason,
        repository=Claim(repositories[0], Strength.DECLARED) if repositories else None,
        conflicts=conflicts,
        evidence=component.evidence,
    )
