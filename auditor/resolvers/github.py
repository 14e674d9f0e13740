"""GitHub: who owns a component's repository (see source_hosts.py for when it runs).

REST API, `GITHUB_API_URL`; an optional `GITHUB_TOKEN` is sent as a header and
never logged, cached or stored — cache keys carry only role and path): `GET
/repos/<owner>/<name>` gives `owner.type`, `fork` + `parent`, `archived`; `GET
/users/<owner>` (users and organisations alike) gives the profile's `company`, `blog`
(typed by the owner: `declared`) and `location` (free text: only ever `inferred`, and
mapped to a country only by an unambiguous match in rules/locations.toml). Without
GITHUB_API_URL the lookups are skipped and the origin says so in one piece of evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from packageurl import PackageURL

from auditor.http import MISSING_STATUSES, Response
from auditor.model import Claim, Component, Evidence, Origin, OriginStatus, Strength
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.source_hosts import json_object, location_evidence, stamp


class GitHubResolver(Resolver):
    """`pkg:github/<owner>/<name>` — a repository's owner and state on GitHub."""

    name: ClassVar[str] = "github"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"github"})

    def resolve(self, component: Component) -> Resolution:
        """The repository's owner account (publisher) and its profile as evidence."""
        purl = PackageURL.from_string(component.purl)
        owner, name = purl.namespace or "", purl.name
        repo_reply = self.http.get("github", f"/repos/{quote(owner)}/{quote(name)}")
        if repo_reply.status in MISSING_STATUSES:
            reason = f"{owner}/{name} is not on GitHub (or not public)"
            return Resolution(Origin(component.purl, OriginStatus.UNKNOWN, reason))
        repo = json_object(repo_reply)
        account = (
            repo.get("owner", {}).get("login") if isinstance(repo.get("owner"), dict) else None
        )
        account = account if isinstance(account, str) and account else owner
        user_reply = self.http.get("github", f"/users/{quote(account)}")
        user = json_object(user_reply) if user_reply.status not in MISSING_STATUSES else {}
        evidence = (*_repo_evidence(repo_reply, repo), *_user_evidence(user_reply, user))
        url = f"https://github.com/{owner}/{name}".lower()
        origin = Origin(
            component.purl,
            OriginStatus.RESOLVED,
            publisher=Claim(account, Strength.REGISTRY),
            repository=Claim(url, Strength.REGISTRY),
            evidence=tuple(evidence),
        )
        return Resolution(origin)

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The repository and (usually) its owner's profile."""
        purl = PackageURL.from_string(component.purl)
        owner, name = quote(purl.namespace or ""), quote(purl.name)
        return (("github", f"/repos/{owner}/{name}"), ("github", f"/users/{owner}"))


def _ev(reply: Response, field: str, value: str, strength: Strength) -> Evidence:
    return Evidence("github", field, value, reply.key, strength, stamp(reply))


def _repo_evidence(reply: Response, repo: Mapping[str, Any]) -> Iterator[Evidence]:
    owner = repo.get("owner")
    if isinstance(owner, dict):
        for key in ("login", "type"):
            if isinstance(owner.get(key), str):
                yield _ev(reply, f"owner.{key}", owner[key], Strength.REGISTRY)
    for key in ("fork", "archived"):
        if isinstance(repo.get(key), bool):
            yield _ev(reply, key, str(repo[key]).lower(), Strength.REGISTRY)
    parent = repo.get("parent")
    if (
        repo.get("fork") is True
        and isinstance(parent, dict)
        and isinstance(parent.get("full_name"), str)
    ):
        yield _ev(reply, "parent.full_name", parent["full_name"], Strength.REGISTRY)


def _user_evidence(reply: Response, user: Mapping[str, Any]) -> Iterator[Evidence]:
    for key in ("type", "name"):
        if isinstance(user.get(key), str) and user[key].strip():
            strength = Strength.REGISTRY if key == "type" else Strength.DECLARED
            yield _ev(reply, f"profile.{key}", user[key].strip(), strength)
    for key in ("company", "blog", "email"):
        if isinstance(user.get(key), str) and user[key].strip():
            yield _ev(reply, f"profile.{key}", user[key].strip(), Strength.DECLARED)
    location = user.get("location")
    if isinstance(location, str) and location.strip():
        yield from location_evidence("github", reply.key, location, stamp(reply))
