"""An SbomDocument as components, edges and `declared` evidence: what every SBOM reader
(CycloneDX, SPDX, syft) hands to the pipeline, so all of them say the same things the same
way.

- A component with a valid purl is that purl (a PyPI name normalised as the lockfile
  parsers write it), so it goes through resolution, attribution and policy like any other.
- A component without one (or with a purl that does not parse) keeps what the SBOM says
  under `pkg:generic/<name>@<version>?auditor_source=sbom` (`auditor.purls.sbom_only`);
  resolution skips it with `purls.SBOM_ONLY_REASON`: there is nothing to look up.
- The vendor's word is evidence, not truth: each party (`supplier`, `manufacturer`,
  `authors`, `publisher`, `originator`), each `pedigree.ancestors` entry and each CPE is a
  `declared` Evidence with source `sbom`, `where` = `<file>#<ref>`.
- The document's own id of each entry is kept as evidence `sbom.ref` (`where` the same), so
  the write-back finds every `bom-ref`/SPDXID again; the file and line are its Location.
- A service is a `service` component, `pkg:generic/ai-service/<provider>/<name>`, the purl
  the code and configuration collectors make, with `provider`/`endpoint` evidence the
  ai-service resolver reads.
"""

from __future__ import annotations

import re

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.collected import Collected
from auditor.errors import Diagnostic
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Strength,
)
from auditor.sbom.document import SbomDocument, SbomEntry, SbomService

SOURCE = "sbom"
"""`Evidence.source` of everything an SBOM states."""
REF_FIELD = "sbom.ref"
"""`Evidence.field` holding the document's own id of a component (bom-ref, SPDXID, syft id)."""
ANCESTOR_FIELD = "pedigree.ancestors"
VENDOR_FIELD = "sbom.vendor-supplied"
"""`Evidence.field` of a `supplier` that is the organisation that made the document
(`metadata.manufacturer`/`supplier`, an SPDX `Organization:` creator): the vendor says it
distributes the component, not that it made it."""
SUBJECT_FIELD = "sbom.subject"
"""`Evidence.field` marking the entry the document describes (CycloneDX `metadata.component`,
SPDX DESCRIBES): the vendor's own product."""
ROLES = ("supplier", "manufacturer", "authors", "publisher", "originator")
"""`Party.role` values, kept as the evidence field."""

_WORD_KINDS: dict[str, ComponentKind] = {
    # CycloneDX component types (1.4-1.7)
    "application": ComponentKind.APPLICATION,
    "framework": ComponentKind.LIBRARY,
    "library": ComponentKind.LIBRARY,
    "container": ComponentKind.APPLICATION,
    "platform": ComponentKind.APPLICATION,
    "operating-system": ComponentKind.OS_PACKAGE,
    "device": ComponentKind.APPLICATION,
    "device-driver": ComponentKind.APPLICATION,
    "firmware": ComponentKind.APPLICATION,
    "file": ComponentKind.APPLICATION,
    "machine-learning-model": ComponentKind.MODEL,
    "data": ComponentKind.DATASET,
    "cryptographic-asset": ComponentKind.LIBRARY,
    # SPDX 2 primaryPackagePurpose and SPDX 3 software_primaryPurpose / element types
    "operating_system": ComponentKind.OS_PACKAGE,
    "source": ComponentKind.LIBRARY,
    "archive": ComponentKind.LIBRARY,
    "install": ComponentKind.APPLICATION,
    "model": ComponentKind.MODEL,
    "dataset": ComponentKind.DATASET,
    "ai_aipackage": ComponentKind.MODEL,
    "dataset_datasetpackage": ComponentKind.DATASET,
    # syft artifact types (pkg.Type)
    "deb": ComponentKind.OS_PACKAGE,
    "rpm": ComponentKind.OS_PACKAGE,
    "apk": ComponentKind.OS_PACKAGE,
    "alpm": ComponentKind.OS_PACKAGE,
    "portage": ComponentKind.OS_PACKAGE,
}
_OVERRIDING = frozenset({ComponentKind.MODEL, ComponentKind.DATASET})
"""Type words that win over the purl type: an ML-BOM's model published as a PyPI package
is still a model."""
_PURL_KINDS: dict[str, ComponentKind] = {
    "deb": ComponentKind.OS_PACKAGE,
    "rpm": ComponentKind.OS_PACKAGE,
    "apk": ComponentKind.OS_PACKAGE,
    "alpm": ComponentKind.OS_PACKAGE,
    "alpine": ComponentKind.OS_PACKAGE,
    "huggingface": ComponentKind.MODEL,
    "mlflow": ComponentKind.MODEL,
    "oci": ComponentKind.APPLICATION,
    "docker": ComponentKind.APPLICATION,
    "githubactions": ComponentKind.APPLICATION,
    "github": ComponentKind.LIBRARY,
}
_SLUG = re.compile(r"[^a-z0-9._-]+")
_PLAIN = re.compile(
    r"pkg:(pypi|npm|deb|rpm|apk|maven|golang|cargo|gem|nuget|composer|github)"
    r"/([a-z0-9._~-]+(?:/[a-z0-9._~-]+)*)(?:@[A-Za-z0-9._~-]+)?"
)
"""A purl with no character packageurl would encode or fold, and no qualifiers or subpath:
its own canonical form (lower-case throughout, as every type's name folding leaves it)."""


def to_collected(doc: SbomDocument, found_by: str, target: str | None = None) -> Collected:
    """Every entry and service of `doc` as a component, its dependencies and nesting as
    edges; a purl the document gets wrong is a diagnostic, the entry kept SBOM-only.
    `target` is the scanned tree's ref (`Location.target`; the document's path when None)."""
    at = target if target is not None else doc.path
    components: list[Component] = []
    diagnostics: list[Diagnostic] = []
    by_ref: dict[str, str] = {}
    direct = _direct_refs(doc)
    for entry in doc.entries:
        purl, problem = _purl(entry)
        if problem is not None:
            where = f"{doc.path}:{entry.line}" if entry.line else doc.path
            diagnostics.append(Diagnostic(where, f"{entry.ref}: {problem}"))
        components.append(_component(doc, entry, purl, found_by, direct, at))
        by_ref.setdefault(entry.ref, purl)
    for service in doc.services:
        component = _service(doc, service, found_by, at)
        components.append(component)
        by_ref.setdefault(service.ref, component.purl)
    edges: list[Dependency] = []
    for source, target in doc.dependencies:
        if source in by_ref and target in by_ref and by_ref[source] != by_ref[target]:
            edges.append(Dependency(by_ref[source], by_ref[target]))
    for entry in doc.entries:
        parent = by_ref.get(entry.parent_ref) if entry.parent_ref else None
        if parent is not None and parent != by_ref[entry.ref]:
            edges.append(Dependency(parent, by_ref[entry.ref], DependencyKind.CONTAINS))
        edges.extend(
            Dependency(by_ref[entry.ref], ancestor, DependencyKind.DERIVED_FROM)
            for ancestor in _ancestor_purls(entry)
            if ancestor != by_ref[entry.ref]
        )
    from auditor.sbom.profiles import missing_fields

    return Collected(
        components=tuple(components),
        dependencies=tuple(dict.fromkeys(edges)),
        # every profile's; the policy stage keeps those of the profiles asked for
        findings=missing_fields(doc),
        diagnostics=tuple(diagnostics),
    )


def _direct_refs(doc: SbomDocument) -> frozenset[str] | None:
    """The refs the described subject depends on itself; None when the document cannot
    say (no subject, or no dependency of it stated)."""
    if doc.subject is None:
        return None
    found = frozenset(t for s, t in doc.dependencies if s == doc.subject)
    return found or None


def _purl(entry: SbomEntry) -> tuple[str, str | None]:
    """(the component's purl, why the document's own purl was not used, if it gave one)."""
    if not entry.purl:
        return _sbom_only(entry), None
    try:
        return normalised_purl(entry.purl), None
    except ValueError as exc:
        return _sbom_only(entry), f"purl {entry.purl!r} is not a package URL ({exc})"


def normalised_purl(text: str) -> str:
    """`text` as packageurl writes it (a PyPI name normalised, as the lockfile parsers write
    it); ValueError when it is not a package URL."""
    if (plain := _PLAIN.fullmatch(text)) is not None:
        # Already as packageurl writes it: parsing 20,000 of them would cost seconds.
        kind, name = plain.group(1), plain.group(2).rpartition("/")[2]
        if kind != "pypi" or name == canonicalize_name(name):
            return text
    parsed = PackageURL.from_string(text.strip())
    if parsed.type == "pypi":
        parsed = parsed._replace(name=canonicalize_name(parsed.name))
    return str(parsed.to_string())


def _sbom_only(entry: SbomEntry) -> str:
    try:
        return purls.sbom_only(entry.name or entry.ref, entry.version)
    except ValueError:  # a name of white space only: the ref names it
        return purls.sbom_only(entry.ref or "unnamed", entry.version)


def kind_of(word: str, purl: str) -> ComponentKind:
    """The component kind from the document's type word and the purl type: a model or data
    word wins, then the purl type, then the word; a library when neither says."""
    by_word = _WORD_KINDS.get(word.strip().lower())
    if by_word in _OVERRIDING:
        return by_word
    kind = purl[4:].partition("/")[0]
    if kind == "huggingface" and "repository_type=dataset" in purl:
        return ComponentKind.DATASET
    return _PURL_KINDS.get(kind) or by_word or ComponentKind.LIBRARY


def _where(doc: SbomDocument, ref: str) -> str:
    return f"{doc.path}#{ref}"


def _component(
    doc: SbomDocument,
    entry: SbomEntry,
    purl: str,
    found_by: str,
    direct: frozenset[str] | None,
    target: str,
) -> Component:
    where = _where(doc, entry.ref)
    evidence = [Evidence(SOURCE, REF_FIELD, entry.ref, where, Strength.DECLARED)]
    if entry.ref == doc.subject:  # the vendor's own product (auditor/attribution/vendor_claims)
        evidence.append(Evidence(SOURCE, SUBJECT_FIELD, entry.ref, where, Strength.DECLARED))
    vendor = _vendor_supplied(doc, entry)
    if vendor is not None:  # the document's own organisation supplies it: a distributor
        evidence.append(Evidence(SOURCE, VENDOR_FIELD, vendor, where, Strength.DECLARED))
    evidence.extend(
        Evidence(SOURCE, party.role, party.name, where, Strength.DECLARED)
        for party in entry.parties
        if party.name.strip()
    )
    evidence.extend(
        Evidence(SOURCE, ANCESTOR_FIELD, a, where, Strength.DECLARED) for a in entry.ancestors
    )
    evidence.extend(Evidence(SOURCE, "cpe", c, where, Strength.DECLARED) for c in entry.cpes)
    licence = " AND ".join(dict.fromkeys(entry.licences)) if entry.licences else None
    return Component(
        purl=purl,
        kind=kind_of(entry.kind, purl),
        name=entry.name or entry.ref,
        version=entry.version or None,
        hashes=tuple(sorted(set(entry.hashes))),
        license=licence,
        locations=(Location(target, doc.path, entry.line),),
        direct=None if direct is None else entry.ref in direct,
        evidence=tuple(evidence),
        found_by=found_by,
    )


def _vendor_supplied(doc: SbomDocument, entry: SbomEntry) -> str | None:
    """The entry's supplier when an `Organization:` creator of the document names it."""
    suppliers = [p.name.strip() for p in entry.parties if p.role == "supplier"]
    if not suppliers or not doc.creators:
        return None
    makers = {
        c.removeprefix("Organization:").partition(" (")[0].strip().lower()
        for c in doc.creators
        if c.startswith("Organization:")
    }
    return next((s for s in suppliers if s.lower() in makers), None)


def _ancestor_purls(entry: SbomEntry) -> tuple[str, ...]:
    """The ancestors named by a valid purl (a name alone is evidence, not an edge)."""
    found = []
    for ancestor in entry.ancestors:
        if not ancestor.startswith("pkg:"):
            continue
        try:
            found.append(str(PackageURL.from_string(ancestor).to_string()))
        except ValueError:
            continue
    return tuple(found)


def _service(doc: SbomDocument, service: SbomService, found_by: str, target: str) -> Component:
    """`pkg:generic/ai-service/<provider>/<name>`: the provider is the catalogue's id for an
    endpoint host it knows (so the ai-service resolver names the operator), else the
    document's provider name made a purl segment, else `unknown`."""
    from auditor.services.catalogue import catalogue
    from auditor.urls import host_of

    hosts = [h for e in service.endpoints if (h := host_of(e)) is not None]
    known = next((p for h in hosts if (p := catalogue().by_host(h)) is not None), None)
    provider = (
        known.id
        if known is not None
        else _SLUG.sub("-", (service.provider or "").lower()).strip("-") or "unknown"
    )
    name = service.name.strip() or service.ref
    where = _where(doc, service.ref)
    evidence = [
        Evidence(SOURCE, REF_FIELD, service.ref, where, Strength.DECLARED),
        Evidence(SOURCE, "provider", provider, where, Strength.DECLARED),
        *(Evidence(SOURCE, "endpoint", e, where, Strength.DECLARED) for e in service.endpoints),
    ]
    if service.provider:
        evidence.append(Evidence(SOURCE, "supplier", service.provider, where, Strength.DECLARED))
    return Component(
        purl=purls.ai_service(provider, name),
        kind=ComponentKind.SERVICE,
        name=f"{provider}/{name}",
        version=service.version or None,
        locations=(Location(target, doc.path, None),),
        evidence=tuple(evidence),
        found_by=found_by,
    )
