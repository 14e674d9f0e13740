"""Organisation, country and publisher kind for an origin: which evidence may name them.

Applied by the resolution engine to every origin of every ecosystem, after its resolver
and the source-host lookups. The rules (the README's "Which evidence names the
organisation" table) are written down once, here:

1. attested identities: the repository owner a verified PEP 740 / Sigstore statement names;
2. the registry's own ownership: the PyPI organisation, the npm scope, the Hub namespace,
   then the registry's owner accounts (PyPI roles, npm maintainers) the knowledge base knows;
3. the package's *own* repository (auditor/links.py: labelled source / repository /
   code / homepage, or named like the package; never an upstream's link, a community
   `.github` repository, docs, funding, chat or issue links);
   each looked up in the knowledge base (rules/publishers.yaml), strongest first;
4. the home page's site, only when there is no own repository;
5. e-mail domains, author / maintainer free text and links labelled as another project's
   only *corroborate*: they give an organisation (`inferred`) only when the licence's
   copyright line names the same one, and never alone. Fields that name another
   organisation than the registry owners or the own repository are inherited (a fork's
   upstream author, an employer's address): they lose, and the `origin.inherited-metadata`
   finding records them (attribution/inherited.py).

No match means no organisation; `publisher_kind` is `individual` when the registry's owners
are people and the own repository is a person's (attribution/kind.py). A person is never
given a country.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from auditor.attribution.candidates import Candidate, candidates
from auditor.attribution.inherited import inherited_findings
from auditor.attribution.kind import publisher_kind
from auditor.model import PARENT_FIELD, Claim, Component, Evidence, Finding, Origin, Strength

if TYPE_CHECKING:
    from auditor.resolvers.publishers import KnowledgeBase, Organisation

SOURCE = "knowledge-base"

__all__ = ["SOURCE", "Candidate", "Match", "attribute", "attribute_with_findings", "candidates"]


@dataclass(frozen=True, slots=True)
class Match:
    """A knowledge-base organisation some evidence names, and how strongly."""

    org: Organisation
    strength: Strength
    order: int
    candidate: Candidate


def attribute(component: Component, origin: Origin, kb: KnowledgeBase) -> Origin:
    """The origin with `organisation`, `country` and `publisher_kind` decided."""
    return attribute_with_findings(component, origin, kb)[0]


def attribute_with_findings(
    component: Component, origin: Origin, kb: KnowledgeBase
) -> tuple[Origin, tuple[Finding, ...]]:
    """The attributed origin and the `origin.inherited-metadata` findings it gave."""
    matches = list(_matches(component, origin, kb))
    naming = [m for m in matches if m.candidate.names]
    chosen = _strongest(naming) or _corroborated(matches)
    attributed = _claimed(origin, matches, chosen, kb)
    attributed = _profile_country(attributed)
    hinted = any(not m.candidate.names and m.candidate.because != "licence" for m in matches)
    kind, accounts = publisher_kind(component, attributed, hinted)
    if kind is not None:
        note = f"{kind.value}: {', '.join(accounts)}" if accounts else kind.value
        step = Evidence("attribution", "publisher_kind", note, "attribution", Strength.INFERRED)
        kept = tuple(e for e in attributed.evidence if e.field != "publisher_kind")
        attributed = replace(attributed, publisher_kind=kind, evidence=(*kept, step))
    found = inherited_findings(component, attributed, [(m.org, m.candidate) for m in matches])
    return attributed, found


def _matches(component: Component, origin: Origin, kb: KnowledgeBase) -> Iterator[Match]:
    seen: set[tuple[str, str, Strength, bool]] = set()
    for order, candidate in enumerate(candidates(component, origin)):
        org = kb.lookup(candidate.platform, candidate.account)
        if org is None:
            continue
        # An unverified entry (the link rests on naming only) never gives more than inferred.
        strength = candidate.strength if org.verified else Strength.INFERRED
        key = (org.key, candidate.platform, strength, candidate.names)
        if key in seen:
            continue  # the same support again (another address at the same domain …)
        seen.add(key)
        yield Match(org, strength, order, candidate)


def _strongest(matches: list[Match]) -> Match | None:
    """The first organisation reaching the highest strength: candidates come strongest
    kind first, so ties go to the attested owner, then the registry's account, and so on."""
    if not matches:
        return None
    return max(matches, key=lambda m: (m.strength.rank, -m.order))


def _corroborated(matches: list[Match]) -> Match | None:
    """An organisation only corroborating evidence names (an e-mail domain, a home-page
    site, an author name), taken when the licence names the same organisation too; never
    from one of them alone."""
    by_licence = {m.org.key for m in matches if m.candidate.because == "licence"}
    agreeing = [m for m in matches if m.org.key in by_licence and m.candidate.because != "licence"]
    best = _strongest(agreeing)
    return None if best is None else replace(best, strength=Strength.INFERRED)


def _claimed(
    origin: Origin, matches: list[Match], chosen: Match | None, kb: KnowledgeBase
) -> Origin:
    """The origin with the chosen organisation (never weaker than one already claimed) and
    one evidence step per match, so the trail shows corroborating fields too."""
    steps: list[Evidence] = []
    for m in matches:
        role = "" if m.candidate.names else ", corroborating only"
        account = f"{m.candidate.platform}:{m.candidate.account}"
        steps.append(Evidence(SOURCE, f"organisation[{account} via {m.candidate.because}{role}]",
                              m.org.name, m.org.source, m.strength, m.org.checked))  # fmt: skip
    organisation, country = origin.organisation, origin.country
    if chosen is not None:
        steps.append(Evidence(SOURCE, f"country[{chosen.org.key}]", chosen.org.country,
                              chosen.org.source, chosen.strength, chosen.org.checked))  # fmt: skip
        if organisation is None or organisation.strength.rank < chosen.strength.rank:
            organisation = Claim(chosen.org.name, chosen.strength)
            country = Claim(chosen.org.country, chosen.strength)
        if organisation.value == chosen.org.name:  # the chain is the claimed one's only
            steps += _parent_steps(chosen, kb)
    known = set(origin.evidence)
    return replace(
        origin,
        organisation=organisation,
        country=country,
        evidence=origin.evidence + tuple(s for s in steps if s not in known),
    )


def _parent_steps(chosen: Match, kb: KnowledgeBase) -> list[Evidence]:
    """One `parent[<id>]` step per organisation up the chosen one's `parent` chain, nearest
    first (`Origin.parents`), each with the page that says so: roll-ups go either way."""
    from auditor.resolvers.publishers import parent_of

    steps: list[Evidence] = []
    child, seen = chosen.org, {chosen.org.key}
    while child.parent is not None and (parent := parent_of(kb, child)) is not None:
        if parent.key in seen:  # `publishers validate` refuses a cycle; never loop on one
            break
        seen.add(parent.key)
        cited = child.parent
        steps.append(Evidence(SOURCE, f"{PARENT_FIELD}{child.key}]", parent.name,
                              cited.source, chosen.strength, cited.checked))  # fmt: skip
        child = parent
    return steps


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
