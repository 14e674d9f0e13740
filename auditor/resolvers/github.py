"""Source hosts: who owns a component's repository, and where that host operates.

GitHub (REST API, `GITHUB_API_URL`; an optional `GITHUB_TOKEN` is sent as a header and
never logged, cached or stored — cache keys carry only role and path): `GET
/repos/<owner>/<name>` gives `owner.type`, `fork` + `parent`, `archived`; `GET
/users/<owner>` (users and organisations alike) gives the profile's `company`, `blog`
(typed by the owner: `declared`) and `location` (free text: only ever `inferred`, and
mapped to a country only by an unambiguous match in rules/locations.toml). Without
GITHUB_API_URL the lookups are skipped and the origin says so in one piece of evidence.

Gitee and GitCode are code hosts operated in China: a repository there is `inferred`
evidence of hosting in CN without any request.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from packageurl import PackageURL

from auditor.config import data_path
from auditor.errors import ConfigError
from auditor.http import MISSING_STATUSES, FetchError, NotCached, Response
from auditor.model import Claim, Component, ComponentKind, Evidence, Origin, OriginStatus, Strength
from auditor.resolvers import Resolution, Resolver

HOSTED_IN = {"gitee.com": "CN", "gitcode.com": "CN", "gitcode.net": "CN"}
"""Code hosts operated in one country (their operators: OSChina / CSDN, both in CN)."""
LOCATIONS_FILE = "locations.toml"


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
        repo = _object(repo_reply)
        account = (
            repo.get("owner", {}).get("login") if isinstance(repo.get("owner"), dict) else None
        )
        account = account if isinstance(account, str) and account else owner
        user_reply = self.http.get("github", f"/users/{quote(account)}")
        user = _object(user_reply) if user_reply.status not in MISSING_STATUSES else {}
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


def _object(reply: Response) -> Mapping[str, Any]:
    doc = reply.json()
    if not isinstance(doc, dict):
        raise FetchError(reply.key, "malformed JSON response (not an object)")
    return doc


def _ev(reply: Response, field: str, value: str, strength: Strength) -> Evidence:
    stamp = reply.fetched_at.isoformat(timespec="seconds")
    return Evidence("github", field, value, reply.key, strength, stamp)


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
        yield _ev(reply, "profile.location", location.strip(), Strength.INFERRED)
        country = location_country(location)
        if country is not None:
            yield _ev(reply, "profile.location.country", country, Strength.INFERRED)


def location_country(text: str) -> str | None:
    """The ISO country a free-text location names, only when every part of it points to
    the same one country in rules/locations.toml; None otherwise (never a guess)."""
    names, ignored = _locations()
    parts = [p.strip(" .") for p in _split(text.lower())]
    countries = set()
    for part in filter(None, parts):
        if part in ignored:
            continue
        country = names.get(part)
        if country is None:
            return None  # an unknown part could name anywhere
        countries.add(country)
    return countries.pop() if len(countries) == 1 else None


def _split(text: str) -> list[str]:
    for separator in (";", "/", " - ", "·", "|"):
        text = text.replace(separator, ",")
    return text.split(",")


@cache
def _locations() -> tuple[dict[str, str], frozenset[str]]:
    """name -> country, and the ignored words, from rules/locations.toml (read once)."""
    try:
        raw = tomllib.loads((data_path("rules") / LOCATIONS_FILE).read_text(encoding="utf-8"))
        names: dict[str, str] = {}
        ambiguous: set[str] = set()
        for country, entries in raw["country"].items():
            for entry in entries:
                key = str(entry).lower()
                if names.get(key, country) != country:
                    ambiguous.add(key)
                names[key] = str(country)
        for key in ambiguous:  # listed under two countries: names neither
            del names[key]
        return names, frozenset(str(w).lower() for w in raw.get("ignore", ()))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"rules/{LOCATIONS_FILE}: unusable location list: {exc}",
            hint="reinstall origin-auditor",
        ) from None


def hosting_evidence(repository: str) -> Evidence | None:
    """`inferred` evidence that a repository is hosted by a code host operated in a
    known country (Gitee, GitCode: CN); None for any other host."""
    host = (urlsplit(repository).hostname or "").lower().removeprefix("www.")
    country = HOSTED_IN.get(host)
    if country is None:
        return None
    return Evidence("source-host", "hosted_in", country, repository, Strength.INFERRED)


def github_repository(repository: str) -> Component | None:
    """The `pkg:github/<owner>/<name>` stand-in for a normalised GitHub repository URL."""
    parts = urlsplit(repository)
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() != "github.com" or len(segments) != 2:
        return None
    purl = PackageURL(type="github", namespace=segments[0], name=segments[1]).to_string()
    return Component(purl, ComponentKind.APPLICATION, segments[1], None)


def enrich(origin: Origin, resolver: GitHubResolver | None) -> Origin:
    """Add what the repository's host says to a resolved origin's evidence.

    GitHub trouble never changes the component's own status (its registry answered);
    the failure is recorded as evidence so the report shows what is missing.
    """
    if origin.repository is None or origin.status is not OriginStatus.RESOLVED:
        return origin
    added: list[Evidence] = []
    hosted = hosting_evidence(origin.repository.value)
    if hosted is not None:
        added.append(hosted)
    if origin.repository.value.startswith("https://github.com/"):
        stand_in = github_repository(origin.repository.value) if resolver is not None else None
        if resolver is None:
            added.append(Evidence("github", "lookup", "skipped: GITHUB_API_URL is not set",
                                  origin.repository.value, Strength.INFERRED))  # fmt: skip
        elif stand_in is not None:
            added.extend(_github_evidence(resolver, stand_in, origin.repository.value))
    return replace(origin, evidence=origin.evidence + tuple(added)) if added else origin


def _github_evidence(
    resolver: GitHubResolver, stand_in: Component, repository: str
) -> tuple[Evidence, ...]:
    try:
        answer = resolver.resolve(stand_in).origin
    except FetchError as exc:
        return (Evidence("github", "lookup", f"unreachable: {exc.reason}", exc.key,
                         Strength.INFERRED),)  # fmt: skip
    except NotCached:
        return (Evidence("github", "lookup", "skipped: offline, and no cached answer",
                         repository, Strength.INFERRED),)  # fmt: skip
    if answer.status is not OriginStatus.RESOLVED:
        return (Evidence("github", "lookup", f"unknown: {answer.reason}", repository,
                         Strength.INFERRED),)  # fmt: skip
    return answer.evidence
