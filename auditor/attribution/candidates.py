"""The accounts an origin's evidence names, strongest kind first, and which may name the
organisation alone (`names`) or only corroborate one (see attribution/__init__.py)."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from auditor.links import Link, LinkKind, label_of, links
from auditor.model import Component, Evidence, Origin, OriginStatus, Strength
from auditor.urls import normalise_repository, site_of

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
# The local part starts only where a run of its characters starts (the lookbehind): a search
# that began at every character of a long run rescanned the run each time (n²).
_ADDRESS = re.compile(r"(?<![\w.%+-])[\w.%+-]++@((?:[\w-]+\.)+[A-Za-z]{2,63})\b")
_HOME_FIELD = re.compile(r"home[-_ ]?page|^url$|project_urls\.home|Project-URL\.home", re.I)
_LICENCE_FIELD = re.compile(r"^(?:info\.license|License|license)$")
_COPYRIGHT = re.compile(
    r"copyright\s*(?:\(c\)|©)?\s*(?:\d{4}(?:\s*[-\u2013,]\s*(?:\d{4}|present))*\s*)?(?:by\s+)?"
    r"(?P<holder>[^\n.,;()<]{2,80})",
    re.IGNORECASE,
)
UPSTREAM_HUB = "upstream.huggingface"
"""Evidence naming the Hub account of the lab whose weights a re-packaged model is (an Ollama
library model: rules/data/ollama-library.yaml), never stronger than `inferred`."""
_REGISTRY_OWNER_FIELDS = ("ownership.roles.", "_npmUser.name", "maintainers.name")
ATTESTED_OWNER = ("attestation.certificate.source_repository_owner_uri",
                  "attestation.certificate.source_repository_uri",
                  "attestation.publisher.repository_url")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Candidate:
    """An account some evidence names, and how strongly."""

    platform: str
    account: str
    strength: Strength
    because: str
    """The field that named it, for the evidence trail (`licence` for a copyright line)."""
    names: bool = True
    """False: the evidence may only corroborate an organisation named elsewhere."""


def candidates(component: Component, origin: Origin) -> Iterator[Candidate]:
    """Accounts named by the origin's evidence, strongest kinds first."""
    evidence = origin.evidence or component.evidence
    ecosystem = component.purl[4:].partition("/")[0]
    # 1. attested identities
    for e in evidence:
        if e.field in ATTESTED_OWNER:
            owner = repository_owner(e.value)
            if owner is not None:
                yield Candidate(owner[0], owner[1], e.strength, e.field)
    # 2. the registry's own ownership, then its owner accounts
    yield from _registry(component, origin, evidence, ecosystem)
    # 3. the package's own repository (the claim, then every own link)
    if origin.repository is not None:
        owner = repository_owner(origin.repository.value)
        if owner is not None:
            yield Candidate(owner[0], owner[1], origin.repository.strength, "repository")
    pairs = [(e.field, e.value) for e in evidence]
    strengths = {(e.field, e.value): e.strength for e in evidence}
    found = links(pairs, component.name)  # classified once: own links here, others in 5.
    for link in found:
        if link.kind is LinkKind.OWN:
            owner = repository_owner(link.repository)
            if owner is not None:
                strength = strengths.get((link.field, link.url), Strength.DECLARED)
                yield Candidate(owner[0], owner[1], strength, link.field)
    # 4. the home page's site: names the organisation only when there is no own repository
    # (a fork keeps its upstream's home page, and its own repository then says otherwise)
    for e in evidence:
        label = label_of(e.field)
        if _HOME_FIELD.search(e.field) or (label is not None and _HOME_FIELD.search(label)):
            site = site_of(e.value)
            if site is not None:
                names = origin.repository is None
                yield Candidate("web", site, e.strength, e.field, names=names)
    # 5. corroborating only: other links, e-mail domains, names, the licence
    yield from _corroborating(component, evidence, found, strengths)


def _registry(
    component: Component, origin: Origin, evidence: tuple[Evidence, ...], ecosystem: str
) -> Iterator[Candidate]:
    for e in evidence:
        if e.field == "ownership.organization":
            yield Candidate(f"{ecosystem}-org", e.value, e.strength, e.field)
    namespace = purl_namespace(component.purl)
    if namespace and ecosystem in NAMESPACE_PLATFORMS:
        account = f"@{namespace.lstrip('@')}" if ecosystem == "npm" else namespace
        # The namespace is the registry's only while a registry answer (live or cached)
        # stands behind the origin; offline, the knowledge base maps a bare name: inferred.
        resolved = origin.status is OriginStatus.RESOLVED
        strength = Strength.REGISTRY if resolved else Strength.INFERRED
        yield Candidate(NAMESPACE_PLATFORMS[ecosystem], account, strength, "namespace")
    if origin.publisher is not None:
        platform = NAMESPACE_PLATFORMS.get(ecosystem, ecosystem)
        yield Candidate(platform, origin.publisher.value, origin.publisher.strength, "publisher")
        yield Candidate(f"{platform}-org", origin.publisher.value, origin.publisher.strength,
                        "publisher")  # fmt: skip
    for e in evidence:
        if e.field == UPSTREAM_HUB:  # a re-packaged model's lab, as a data file maps it
            yield Candidate("huggingface", e.value, e.strength, e.field)
    for e in evidence:
        if e.field.startswith(_REGISTRY_OWNER_FIELDS) and e.strength is Strength.REGISTRY:
            yield Candidate(NAMESPACE_PLATFORMS.get(ecosystem, ecosystem), e.value, e.strength,
                            e.field)  # fmt: skip


def _corroborating(
    component: Component,
    evidence: tuple[Evidence, ...],
    found: tuple[Link, ...],
    strengths: dict[tuple[str, str], Strength],
) -> Iterator[Candidate]:
    for link in found:
        # An upstream's or an unlabelled repository may corroborate; docs, issues, funding
        # and community `.github` links say nothing about the publisher at all.
        if link.kind in (LinkKind.OTHER_PROJECT, LinkKind.UNLABELLED):
            owner = repository_owner(link.repository)
            if owner is not None:
                strength = strengths.get((link.field, link.url), Strength.DECLARED)
                yield Candidate(owner[0], owner[1], strength, link.field, names=False)
    for e in evidence:
        if _EMAIL_FIELD.search(e.field):
            for domain in _email_domains(e.value):
                yield Candidate("email", domain, e.strength, e.field, names=False)
    for e in evidence:
        if _NAME_FIELD.search(e.field) and not _EMAIL_FIELD.search(e.field):
            yield Candidate("name", e.value, Strength.INFERRED, e.field, names=False)
        elif _EMAIL_FIELD.search(e.field) and "<" in e.value:
            for name in _display_names(e.value):
                yield Candidate("name", name, Strength.INFERRED, e.field, names=False)
    for e in evidence:
        if _LICENCE_FIELD.match(e.field) or e.field == "license_expression":
            for holder in _holders(e.value):
                yield Candidate("name", holder, Strength.INFERRED, "licence", names=False)
    if component.license:
        for holder in _holders(component.license):
            yield Candidate("name", holder, Strength.INFERRED, "licence", names=False)


@lru_cache(maxsize=65536)
def _holders(text: str) -> tuple[str, ...]:
    """Copyright holders a licence text names (`Copyright 2024 Google LLC` -> Google LLC)."""
    return tuple(m.group("holder").strip() for m in _COPYRIGHT.finditer(text[:4000]))


# Cached: a scan repeats the same authors and repositories across many components.
@lru_cache(maxsize=65536)
def _email_domains(value: str) -> tuple[str, ...]:
    return tuple(m.lower() for m in _ADDRESS.findall(value))


@lru_cache(maxsize=65536)
def _display_names(value: str) -> tuple[str, ...]:
    return tuple(name for name, _ in email.utils.getaddresses([value]) if name)


@lru_cache(maxsize=65536)
def repository_owner(url: str) -> tuple[str, str] | None:
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


def purl_namespace(purl: str) -> str | None:
    path = purl[4:].split("@", 1)[0].split("?", 1)[0]
    segments = path.split("/")
    return unquote(segments[1]) if len(segments) > 2 else None
