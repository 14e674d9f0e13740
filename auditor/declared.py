"""The origin the collected files alone support: declared repository claims, nothing more.

Every registry resolver starts from this; with `--no-resolve` (or no resolver for an
ecosystem) it is the whole answer, and its status says why nothing was looked up.
"""

from __future__ import annotations

import re

from auditor.model import Claim, Component, Origin, OriginStatus, Strength
from auditor.urls import normalise_repository

_REPOSITORY_LABEL = re.compile(r"source|repo|code|github|gitlab|home", re.IGNORECASE)


def local_origin(component: Component, status: OriginStatus, reason: str | None) -> Origin:
    """An origin from the component's own declared evidence."""
    repositories: list[str] = []
    for e in component.evidence:
        label_fits = e.field in ("url", "Home-page", "Download-URL") or bool(
            _REPOSITORY_LABEL.search(e.field)
        )
        repo = normalise_repository(e.value) if label_fits else None
        if repo and repo not in repositories:
            repositories.append(repo)
    conflicts = (
        (f"declared repositories disagree: {', '.join(repositories)}",)
        if len(repositories) > 1
        else ()
    )
    return Origin(
        purl=component.purl,
        status=status,
        reason=reason,
        repository=Claim(repositories[0], Strength.DECLARED) if repositories else None,
        conflicts=conflicts,
        evidence=component.evidence,
    )
