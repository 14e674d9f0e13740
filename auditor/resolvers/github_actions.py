"""GitHub Actions: the commit an action's tag or branch points at now.

`GET /repos/<owner>/<repo>/commits/<ref>` (GitHub's REST API, `GITHUB_API_URL`; the answer's
`sha` is the commit the ref resolves to) — recorded as `ref.commit` evidence, so the next scan
can tell when the same tag has moved to another commit (`action.tag-moved` in the default
pack). A ref that is already a 40-hex commit needs no request. The owner's account and
profile are looked up afterwards like any repository's (resolvers/source_hosts.py).
Without GITHUB_API_URL nothing is asked and the origin says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar
from urllib.parse import quote, unquote

from auditor.http import MISSING_STATUSES
from auditor.model import Claim, Component, Evidence, OriginStatus, Strength
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.local import local_origin
from auditor.resolvers.source_hosts import json_object, stamp

COMMIT_FIELD = "ref.commit"


def _parts(component: Component) -> tuple[str, str, str | None]:
    """(owner, repository, ref) from `pkg:githubactions/<owner>/<repo>[%2Fpath]@<ref>`."""
    body = component.purl.removeprefix("pkg:githubactions/")
    path, _, ref = body.partition("@")
    owner, _, name = path.partition("/")
    return owner, unquote(name).partition("/")[0], unquote(ref) or None


class GitHubActionsResolver(Resolver):
    """`pkg:githubactions/…` — the commit its ref points at, and its repository."""

    name: ClassVar[str] = "githubactions"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"githubactions"})

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The ref's commit, when it is not one already."""
        path = self._path(component)
        return (("github", path),) if path else ()

    def _path(self, component: Component) -> str | None:
        owner, repo, ref = _parts(component)
        if ref is None or _is_commit(ref) or "github" not in self.http.endpoints:
            return None
        return f"/repos/{quote(owner)}/{quote(repo)}/commits/{quote(ref, safe='')}"

    def resolve(self, component: Component) -> Resolution:
        """A resolved origin (the repository the action runs from) with its ref's commit."""
        owner, repo, ref = _parts(component)
        # The owner account is the publisher: the `uses:` line names it (GitHub's answer
        # about the account comes from the source-host lookup).
        origin = replace(
            local_origin(component, OriginStatus.RESOLVED, None),
            publisher=Claim(_written_owner(component) or owner, Strength.DECLARED),
        )
        if ref is not None and _is_commit(ref):
            pinned = Evidence("github-actions", COMMIT_FIELD, ref, "purl", Strength.DECLARED)
            return Resolution(replace(origin, evidence=(*origin.evidence, pinned)))
        path = self._path(component)
        if path is None:
            why = "GITHUB_API_URL is not set: the tag was not resolved to a commit"
            return Resolution(local_origin(component, OriginStatus.SKIPPED, why))
        reply = self.http.get("github", path)
        if reply.status in MISSING_STATUSES:
            why = f"{owner}/{repo} has no public ref {ref!r} on GitHub"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, why))
        sha = json_object(reply).get("sha")
        if not isinstance(sha, str) or not _is_commit(sha):
            return Resolution(origin)
        found = Evidence("github", COMMIT_FIELD, sha, reply.key, Strength.REGISTRY, stamp(reply))
        return Resolution(replace(origin, evidence=(*origin.evidence, found)))


def _written_owner(component: Component) -> str | None:
    """The owner as the workflow spells it (the purl lower-cases it)."""
    for e in component.evidence:
        if e.field == "uses" and "/" in e.value:
            return e.value.partition("/")[0]
    return None


def _is_commit(ref: str) -> bool:
    return len(ref) == 40 and all(c in "0123456789abcdef" for c in ref)
