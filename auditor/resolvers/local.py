"""The origin the collected files alone support: declared repository claims, nothing more.

Every registry resolver starts from this; with `--no-resolve` (or no resolver for an
ecosystem) it is the whole answer, and its status says why nothing was looked up.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from auditor.model import Claim, Component, Origin, OriginStatus, Strength

CODE_HOSTS = frozenset(
    {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com", "gitcode.com"}
)
"""Hosts whose first two path segments name a repository (owner/name)."""

_REPOSITORY_LABEL = re.compile(r"source|repo|code|github|gitlab|home", re.IGNORECASE)


def normalise_repository(url: str) -> str | None:
    """`https://<host>/<owner>/<name>` for a code-host URL, else None.

    Lower-cases the host, drops `git+`, credentials, `.git`, fragments and deeper paths
    so that the same repository written five ways compares equal.
    """
    url = url.strip().removeprefix("git+")
    if url.startswith("git@") and ":" in url:  # scp-like: git@github.com:owner/name.git
        host, _, path = url[4:].partition(":")
        url = f"https://{host}/{path}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in CODE_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s][:2]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    name = name.split("@", 1)[0]  # pip VCS refs: repo.git@v1.0
    return f"https://{host}/{owner}/{name}".lower() if owner and name else None


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
