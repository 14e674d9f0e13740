"""`sbom.supplier-conflict`: a vendor's SBOM names another organisation for a component than the
registry or a verified attestation does.

An SBOM's `supplier`, `manufacturer`, `authors`, `publisher` and SPDX `originator`/`supplier`
reach a component as `declared` evidence with source `sbom` (auditor/sbom/collect.py). Once
every origin is attributed, each such claim is compared with the origin's organisation when a
registry answer or an attestation supports it (`registry` or `attested`), both sides matched
through the knowledge base (rules/publishers.yaml: legal names, `name` aliases, e-mail and web
domains). No conflict, by design:

- when either side is unknown: the origin has no organisation at `registry` strength or
  better, its publishers are individual maintainers, or the claim is a person that no
  knowledge-base domain ties to an organisation;
- when the two are one group: the same organisation, or one a parent or subsidiary of the
  other (their `parent` chains meet);
- when the names differ only in form (`Inc.`, `Ltd`, punctuation, case), or one name's words
  are all in the other (`Google` and `Google DeepMind`: too close to tell apart here);
- for the SBOM's own subject (`metadata.component`, SPDX DESCRIBES): the vendor's product;
- when the claim is a `supplier` naming the vendor itself (the subject's own supplier or
  manufacturer, or the organisation that made the document): the vendor then says it
  distributes the component, not that it made it.

The pass is a pure function of the scan and the knowledge base, so re-judging a stored scan
runs it again (`auditor.pipeline.judge`) and a knowledge-base update changes its answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.model import Component, Evidence, Finding, Origin, PublisherKind, Strength

if TYPE_CHECKING:
    from auditor.resolvers.publishers import KnowledgeBase, Organisation

RULE = "sbom.supplier-conflict"
SOURCE = "sbom"
CLAIM_FIELDS = ("supplier", "manufacturer", "authors", "publisher", "originator")
"""Evidence fields that name who made or supplied a component (`pedigree.ancestors` names
components, not organisations: lineage, not compared here)."""
SUBJECT_FIELDS = ("subject", "sbom.subject")
"""Evidence fields marking the component an SBOM describes (its reader's choice of name)."""
VENDOR_FIELD = "sbom.vendor-supplied"
"""A supplier the reader found to be the document's own organisation (sbom/collect.py)."""
DISTRIBUTOR_FIELDS = ("supplier",)
"""Claims that may name a distributor rather than the maker (CycloneDX: "may often be the
manufacturer, but may also be a distributor or repackager")."""

# Forms of a legal entity's name that do not make another organisation.
_FORMS = frozenset(
    ("inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company",
     "plc", "gmbh", "ag", "sa", "sas", "sarl", "bv", "nv", "oy", "ab", "as", "kk", "pte", "pty",
     "srl", "spa", "se", "lp", "llp", "foundation", "the")
)  # fmt: skip
_EMAIL = re.compile(r"[\w.%+-]+@((?:[\w-]+\.)+[A-Za-z]{2,63})")
_URL = re.compile(r"https?://[^\s()<>\"']+")
_PERSON = re.compile(r"^\s*person\s*:\s*", re.IGNORECASE)
_ORGANISATION = re.compile(r"^\s*organi[sz]ation\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class VendorClaim:
    """One party an SBOM names for a component, as read from its evidence value."""

    field: str
    name: str
    """The name with any `Person:`/`Organization:` prefix, e-mail and URL taken out."""
    person: bool
    """SPDX `Person:` (or a CycloneDX author): an individual, not an organisation."""
    domains: tuple[str, ...]
    sites: tuple[str, ...]
    evidence: Evidence


def parse_claim(evidence: Evidence) -> VendorClaim:
    """What one `sbom` evidence names: `ACME Inc (ops@acme.example, https://acme.example)`,
    SPDX `Organization: ACME (ops@acme.example)` or `Person: Jane Doe`."""
    value = evidence.value
    person = bool(_PERSON.match(value)) or evidence.field == "authors"
    text = _ORGANISATION.sub("", _PERSON.sub("", value))
    domains = tuple(m.lower() for m in _EMAIL.findall(text))
    urls = _URL.findall(text)
    sites = tuple(s for s in (_site(u) for u in urls) if s)
    name = _URL.sub("", re.sub(r"[\w.%+-]+@(?:[\w-]+\.)+[A-Za-z]{2,63}", "", text))
    name = re.sub(r"[<>()\[\]]", " ", name)
    name = re.sub(r"\s+", " ", name).strip(" ,;:-")
    return VendorClaim(evidence.field, name, person, domains, sites, evidence)


def _site(url: str) -> str | None:
    from auditor.resolvers.publishers import domain_of_url

    return domain_of_url(url)


def form(name: str) -> str:
    """A name compared without case, punctuation or legal-form words (`Google LLC` and
    `google` are one)."""
    words = re.sub(r"[^\w]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in _FORMS)


class _Names:
    """Every knowledge-base organisation by the form of its legal name and `name` aliases."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.by_form: dict[str, Organisation] = {}
        for org in kb.organisations:
            for name in (org.name, *(a for p, a in org.accounts if p == "name")):
                if f := form(name):
                    self.by_form.setdefault(f, org)
        self.by_name = {org.name: org for org in kb.organisations}
        self._tops: dict[str, str] = {}

    def organisation(self, claim: VendorClaim) -> Organisation | None:
        """The organisation the claim names, by name (organisations only), e-mail or site."""
        if not claim.person and claim.name:
            found = self.by_form.get(form(claim.name))
            if found is not None:
                return found
        for domain in claim.domains:
            if (found := self.kb.lookup("email", domain)) is not None:
                return found
        for site in claim.sites:
            if (found := self.kb.lookup("web", site)) is not None:
                return found
        return None

    def top(self, org: Organisation) -> str:
        """The id at the top of the organisation's `parent` chain (its group)."""
        if org.key not in self._tops:
            from auditor.resolvers.publishers import lineage

            self._tops[org.key] = lineage(self.kb, org)[-1]
        return self._tops[org.key]


def supplier_conflicts(
    components: Sequence[Component], origins: Iterable[Origin], kb: KnowledgeBase
) -> tuple[Finding, ...]:
    """One `sbom.supplier-conflict` per component and claim that names another organisation
    than the registry's or an attestation's."""
    by_purl = {o.purl: o for o in origins}
    claimed = [c for c in components if any(_claim_evidence(e) for e in c.evidence)]
    if not claimed:
        return ()
    names = _Names(kb)
    subjects = [c for c in claimed if _is_subject(c)]
    vendors = {
        org.key
        for c in subjects
        for e in c.evidence
        if _claim_evidence(e) and e.field in ("supplier", "manufacturer")
        and (org := names.organisation(parse_claim(e))) is not None
    }  # fmt: skip
    vendor_names = {form(parse_claim(e).name) for c in subjects for e in c.evidence
                    if _claim_evidence(e) and e.field in ("supplier", "manufacturer")}  # fmt: skip
    found: list[Finding] = []
    for component in claimed:
        origin = by_purl.get(component.purl)
        if origin is None or _is_subject(component):
            continue
        theirs = _registry_side(origin, names)
        if theirs is None:
            continue
        for evidence in dict.fromkeys(e for e in component.evidence if _claim_evidence(e)):
            claim = parse_claim(evidence)
            mine = names.organisation(claim)
            if claim.field in DISTRIBUTOR_FIELDS and (
                (mine is not None and mine.key in vendors)
                or form(claim.name) in vendor_names
                or form(claim.name) in _vendor_supplied(component)
            ):
                continue  # the vendor names itself as the distributor
            if _conflicts(claim, mine, theirs, names):
                found.append(_finding(component, origin, claim, mine, theirs))
    return tuple(found)


_NO_CLAIM = frozenset({"", "noassertion", "none", "unknown", "n/a"})
"""Values that state nothing (SPDX's NOASSERTION and NONE)."""


def _claim_evidence(e: Evidence) -> bool:
    return (
        e.source == SOURCE and e.field in CLAIM_FIELDS and e.value.strip().lower() not in _NO_CLAIM
    )


def _vendor_supplied(component: Component) -> set[str]:
    """Suppliers the reader found to be the document's own organisation (sbom/collect.py)."""
    return {form(e.value) for e in component.evidence
            if e.source == SOURCE and e.field == VENDOR_FIELD}  # fmt: skip


def _is_subject(component: Component) -> bool:
    return any(e.source == SOURCE and e.field in SUBJECT_FIELDS for e in component.evidence)


def _registry_side(origin: Origin, names: _Names) -> Organisation | None:
    """The organisation a registry answer or an attestation names (knowledge-base known)."""
    if origin.publisher_kind is PublisherKind.INDIVIDUAL:
        return None
    claim = origin.organisation
    if claim is None or claim.strength.rank < Strength.REGISTRY.rank:
        return None
    return names.by_name.get(claim.value)


def _conflicts(
    claim: VendorClaim, mine: Organisation | None, theirs: Organisation, names: _Names
) -> bool:
    if mine is not None:
        return names.top(mine) != names.top(theirs)
    if claim.person or not form(claim.name):
        return False  # a person, or nothing but an address the knowledge base does not know
    stated = set(form(claim.name).split())
    group = [o for o in names.kb.organisations if names.top(o) == names.top(theirs)]
    for org in group:
        for name in (org.name, *(a for p, a in org.accounts if p == "name")):
            known = set(form(name).split())
            if known and (known <= stated or stated <= known):
                return False  # the same name in another form, or too close to tell apart
    return True


def _finding(
    component: Component,
    origin: Origin,
    claim: VendorClaim,
    mine: Organisation | None,
    theirs: Organisation,
) -> Finding:
    from auditor.policy.builtin import finding

    assert origin.organisation is not None
    support = [e for e in origin.evidence if e.value == theirs.name
               and e.strength.rank >= Strength.REGISTRY.rank
               and e.field.startswith("organisation[")]  # fmt: skip
    via = f" ({support[0].field.removeprefix('organisation[').rstrip(']')})" if support else ""
    known = (
        f" (the knowledge base's {mine.name})"
        if mine is not None and mine.name != claim.name
        else ""
    )
    message = (
        f"the SBOM ({claim.evidence.where}) names {claim.name or claim.evidence.value!s}{known}"
        f" as {component.name}'s {claim.field}, but the {origin.organisation.strength.value}"
        f" evidence names {theirs.name}{via}"
    )
    return finding(RULE, component.purl, message, (claim.evidence, *support[:1]))
