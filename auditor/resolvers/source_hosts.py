"""Source hosts: what a component's repository host says about its owner, and where hosts
operate. Runs after the registry's resolver, on every resolved origin with a repository.

- GitHub (resolvers/github.py, `GITHUB_API_URL`) and GitLab (resolvers/gitlab.py,
  `CI_API_V4_URL` / `AUDITOR_GITLAB_API_URL`): the owner account and its public profile.
  Without an endpoint the lookups are skipped and the origin says so in one piece of
  evidence; trouble is recorded as evidence and never changes the component's status (its
  registry answered).
- Gitee and GitCode are code hosts operated in China: a repository there is `inferred`
  evidence of hosting in CN, without any request.
- A profile's free-text `location` is only ever `inferred`, and names a country only on an
  unambiguous match in rules/locations.toml (`location_country`), never by guessing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from auditor.config import data_path
from auditor.errors import ConfigError
from auditor.http import FetchError, NotCached, Response
from auditor.model import Component, Evidence, Origin, OriginStatus, Strength
from auditor.resolvers import Resolver

HOSTED_IN = {"gitee.com": "CN", "gitcode.com": "CN", "gitcode.net": "CN"}
"""Code hosts operated in one country (their operators: OSChina / CSDN, both in CN)."""
LOCATIONS_FILE = "locations.toml"


@dataclass(frozen=True, slots=True)
class Host:
    """One API-backed code host: its web host name, resolver (None: not configured), the
    setting that would configure it, and how a repository URL becomes its stand-in."""

    web: str
    resolver: Resolver | None
    setting: str


def location_evidence(source: str, where: str, text: str, stamp: str | None) -> list[Evidence]:
    """A profile's location (`inferred`), and its country when the list names exactly one."""
    evidence = [Evidence(source, "profile.location", text.strip(), where, Strength.INFERRED, stamp)]
    country = location_country(text)
    if country is not None:
        evidence.append(Evidence(source, "profile.location.country", country, where,
                                 Strength.INFERRED, stamp))  # fmt: skip
    return evidence


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


def stand_in(repository: str, web: str, purl_type: str) -> Component | None:
    """`pkg:<type>/<namespace>/<name>` for a normalised repository URL on host `web`."""
    from auditor.model import ComponentKind

    parts = urlsplit(repository)
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() != web or len(segments) != 2:
        return None
    purl = f"pkg:{purl_type}/{segments[0]}/{segments[1]}"
    return Component(purl, ComponentKind.APPLICATION, segments[1], None)


def first_requests(repository: str, hosts: tuple[Host, ...]) -> list[tuple[str, str]]:
    """The requests the configured host of `repository` will make first (a cache hint)."""
    for host in hosts:
        if host.resolver is not None and repository.startswith(f"https://{host.web}/"):
            component = stand_in(repository, host.web, host.web.partition(".")[0])
            if component is not None:
                return list(host.resolver.first_requests(component))
    return []


def enrich(origin: Origin, hosts: tuple[Host, ...]) -> Origin:
    """Add what the repository's host says to a resolved origin's evidence."""
    if origin.repository is None or origin.status is not OriginStatus.RESOLVED:
        return origin
    repository = origin.repository.value
    added: list[Evidence] = []
    hosted = hosting_evidence(repository)
    if hosted is not None:
        added.append(hosted)
    for host in hosts:
        if not repository.startswith(f"https://{host.web}/"):
            continue
        source = host.web.partition(".")[0]
        if host.resolver is None:
            added.append(Evidence(source, "lookup", f"skipped: {host.setting} is not set",
                                  repository, Strength.INFERRED))  # fmt: skip
            continue
        component = stand_in(repository, host.web, source)
        if component is not None:
            added.extend(_host_evidence(host.resolver, component, repository, source))
    return replace(origin, evidence=origin.evidence + tuple(added)) if added else origin


def _host_evidence(
    resolver: Resolver, component: Component, repository: str, source: str
) -> tuple[Evidence, ...]:
    def note(value: str, where: str = repository) -> tuple[Evidence, ...]:
        return (Evidence(source, "lookup", value, where, Strength.INFERRED),)

    try:
        answer = resolver.resolve(component).origin
    except FetchError as exc:
        return note(f"unreachable: {exc.reason}", exc.key)
    except NotCached:
        return note("skipped: offline, and no cached answer")
    if answer.status is not OriginStatus.RESOLVED:
        return note(f"unknown: {answer.reason}")
    return answer.evidence


def json_object(reply: Response) -> Mapping[str, Any]:
    """A source host's answer, which is always a JSON object; anything else is malformed."""
    doc = reply.json()
    if not isinstance(doc, dict):
        raise FetchError(reply.key, "malformed JSON response (not an object)")
    return doc


def stamp(reply: Response) -> str:
    """When the answer was fetched, as evidence records it."""
    return reply.fetched_at.isoformat(timespec="seconds")
