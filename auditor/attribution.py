"""Organisation and country for an origin, from the strongest evidence that names an account.

Applied by the resolution engine to every origin of every ecosystem, after its resolver.
The accounts an origin's evidence names are looked up in the publisher knowledge base, in
this order of strength: the attested repository owner (PEP 740 / Sigstore certificate) >
the registry's own ownership (PyPI organisation and owners, the npm scope, the Hub
namespace) > the declared repository's owner and author e-mail / home-page domains > the
exact name an organisation signs with in an Author field (a heuristic: `inferred`). The
organisation claim is never stronger than the evidence that named the account, and a
knowledge-base entry marked unverified only ever gives `inferred`. Each match is kept as an
Evidence step. Nothing matched means `null`: an individual is never given a country by
guesswork.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from auditor.model import Claim, Component, Evidence, Origin, OriginStatus, Strength
from auditor.resolvers.publishers import KnowledgeBase, Organisation, domain_of_url
from auditor.urls import normalise_repository

SOURCE = "knowledge-base"

# Code hosts whose first path segment is an account the knowledge base can list.
HOST_PLATFORMS = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "gitee.com": "gitee",
    "gitcode.com": "gitcode",
    "gitcode.net": "gitcode",
}

# purl types whose namespace is an account only its owner can publish under.
NAMESPACE_PLATFORMS = {"npm": "npm", "huggingface": "huggingface"}

_EMAIL_FIELD = re.compile(r"e-?mail", re.IGNORECASE)
_NAME_FIELD = re.compile(r"author|maintainer", re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.%+-]+@((?:[\w-]+\.)+[A-Za-z]{2,63})\b")
_HOME_FIELD = re.compile(r"home[-_ ]?page|^url$|project_urls\.home|Project-URL\.home", re.I)
_ATTESTED_OWNER = ("attestation.certificate.source_repository_owner_uri",
                   "attestation.certificate.source_repository_uri",
                   "attestation.publisher.repository_url")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Candidate:
    """An account some evidence names, and how strongly."""

    platform: str
    account: str
    strength: Strength
    because: str
    """The field that named it, for the evidence trail."""


def attribute(component: Component, origin: Origin, kb: KnowledgeBase) -> Origin:
    """The origin with `organisation` and `country` chosen from the strongest match; with
    no match, an organisation account's own profile location may still give the country."""
    return _profile_country(_from_knowledge_base(component, origin, kb))


def _profile_country(origin: Origin) -> Origin:
    """The country an organisation's source-host profile names (free text matched only
    unambiguously: resolvers/source_hosts.py), as `inferred` — never for a personal account,
    whose location says where a person is, not where a publisher is established."""
    if origin.country is not None:
        return origin
    types = {e.value for e in origin.evidence if e.field == "profile.type"}
    countries = {e.value for e in origin.evidence if e.field == "profile.location.country"}
    if types != {"Organization"} or len(countries) != 1:
        return origin
    return replace(origin, country=Claim(countries.pop(), Strength.INFERRED))


def _from_knowledge_base(component: Component, origin: Origin, kb: KnowledgeBase) -> Origin:
    """Organisation and country from the knowledge base's strongest match."""
    strongest: dict[str, tuple[Strength, int, Organisation]] = {}
    steps: list[Evidence] = []
    seen: set[tuple[str, str, Strength]] = set()
    for order, candidate in enumerate(candidates(component, origin)):
        org = kb.lookup(candidate.platform, candidate.account)
        if org is None:
            continue
        strength = candidate.strength if org.verified else Strength.INFERRED
        if (org.key, candidate.platform, strength) in seen:
            continue  # the same support again (another address at the same domain …)
        seen.add((org.key, candidate.platform, strength))
        account = f"{candidate.platform}:{candidate.account}"
        steps.append(Evidence(SOURCE, f"organisation[{account} via {candidate.because}]",
                              org.name, org.source, strength, org.checked))  # fmt: skip
        if org.key not in strongest or strength.rank > strongest[org.key][0].rank:
            strongest[org.key] = (strength, order, org)
    if not strongest:
        return origin
    # The first organisation reaching the highest strength: candidates come strongest kind
    # first, so ties go to the attested owner, then the registry's account, and so on.
    strength, _, org = max(strongest.values(), key=lambda found: (found[0].rank, -found[1]))
    steps += [Evidence(SOURCE, f"country[{o.key}]", o.country, o.source, s, o.checked)
              for s, _, o in strongest.values()]  # fmt: skip
    organisation, country = origin.organisation, origin.country
    if organisation is None or organisation.strength.rank < strength.rank:
        organisation = Claim(org.name, strength)
        country = Claim(org.country, strength)
    known = set(origin.evidence)
    return replace(
        origin,
        organisation=organisation,
        country=country,
        evidence=origin.evidence + tuple(s for s in steps if s not in known),
    )


def candidates(component: Component, origin: Origin) -> Iterator[Candidate]:
    """Accounts named by the origin's evidence, strongest kinds first."""
    evidence = origin.evidence or component.evidence
    ecosystem = component.purl[4:].partition("/")[0]
    # 1. attested repository owner
    for e in evidence:
        if e.field in _ATTESTED_OWNER:
            owner = _repository_owner(e.value)
            if owner is not None:
                yield Candidate(owner[0], owner[1], e.strength, e.field)
    # 2. registry ownership
    for e in evidence:
        if e.field == "ownership.organization":
            yield Candidate(f"{ecosystem}-org", e.value, e.strength, e.field)
    if origin.publisher is not None:
        platform = NAMESPACE_PLATFORMS.get(ecosystem, ecosystem)
        yield Candidate(platform, origin.publisher.value, origin.publisher.strength, "publisher")
        yield Candidate(f"{platform}-org", origin.publisher.value, origin.publisher.strength,
                        "publisher")  # fmt: skip
    namespace = _purl_namespace(component.purl)
    if namespace and ecosystem in NAMESPACE_PLATFORMS:
        account = f"@{namespace.lstrip('@')}" if ecosystem == "npm" else namespace
        # The namespace is the registry's only while a registry answer (live or cached)
        # stands behind the origin; offline, the knowledge base maps a bare name: inferred.
        resolved = origin.status is OriginStatus.RESOLVED
        strength = Strength.REGISTRY if resolved else Strength.INFERRED
        yield Candidate(NAMESPACE_PLATFORMS[ecosystem], account, strength, "namespace")
    for e in evidence:
        if e.field.startswith("ownership.roles."):
            yield Candidate(ecosystem, e.value, e.strength, e.field)
    # 3. declared repository owner, author e-mail and home-page domains
    if origin.repository is not None:
        owner = _repository_owner(origin.repository.value)
        if owner is not None:
            yield Candidate(owner[0], owner[1], origin.repository.strength, "repository")
    for e in evidence:
        if e.field in _ATTESTED_OWNER:
            continue
        owner = _repository_owner(e.value) if "://" in e.value or "@" in e.value else None
        if owner is not None:
            yield Candidate(owner[0], owner[1], e.strength, e.field)
    for e in evidence:
        if _EMAIL_FIELD.search(e.field):
            for domain in _email_domains(e.value):
                yield Candidate("email", domain, e.strength, e.field)
    for e in evidence:
        if _HOME_FIELD.search(e.field):
            site = domain_of_url(e.value)
            if site is not None:
                yield Candidate("web", site, e.strength, e.field)
    # 4. knowledge-base inference: the exact name an organisation signs with
    for e in evidence:
        if _NAME_FIELD.search(e.field) and not _EMAIL_FIELD.search(e.field):
            yield Candidate("name", e.value, Strength.INFERRED, e.field)
        elif _EMAIL_FIELD.search(e.field) and "<" in e.value:
            for name in _display_names(e.value):
                yield Candidate("name", name, Strength.INFERRED, e.field)


# Cached: a scan repeats the same authors and repositories across many components.
@lru_cache(maxsize=65536)
def _email_domains(value: str) -> tuple[str, ...]:
    return tuple(m.lower() for m in _ADDRESS.findall(value))


@lru_cache(maxsize=65536)
def _display_names(value: str) -> tuple[str, ...]:
    return tuple(name for name, _ in email.utils.getaddresses([value]) if name)


@lru_cache(maxsize=65536)
def _repository_owner(url: str) -> tuple[str, str] | None:
    """(platform, owner) for a repository or owner URL on a known code host."""
    repo = normalise_repository(url)
    target = repo or url.strip()
    try:
        parts = urlsplit(target)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return None
    platform = HOST_PLATFORMS.get(host)
    segments = [s for s in parts.path.split("/") if s]
    if platform is None or not segments:
        return None
    if repo is None and len(segments) != 1:
        return None  # a bare owner URL (certificate OID .16) has exactly one segment
    return platform, unquote(segments[0])


def _purl_namespace(purl: str) -> str | None:
    path = purl[4:].split("@", 1)[0].split("?", 1)[0]
    segments = path.split("/")
    return unquote(segments[1]) if len(segments) > 2 else None
