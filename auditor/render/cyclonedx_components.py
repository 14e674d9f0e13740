"""CycloneDX components: one inventory entry (and its origin) as a cyclonedx-python-lib
Component. The document around them (metadata, dependencies, vulnerabilities) is
`auditor.render.cyclonedx`.

What goes where:
- each component: purl (also its bom-ref), hashes, licence (SPDX id or expression when it
  parses as one, else a named licence), the declared or attested source repository as a
  `vcs` external reference, where it was found as `evidence.occurrences`, and the origin
  verdict as `auditor:`-namespaced properties (`auditor:origin:country` plus
  `auditor:origin:country:strength`, …), since CycloneDX has no field that carries a
  strength.

ML-BOM (models and datasets): the uploader (publisher) is the `supplier` and the lineage
root's organisation the `manufacturer`, each with `address.country` when known; lineage
(`derived_from` edges and the origin's roots) is `pedigree.ancestors`; attested evidence with
a URL is an `attestation` external reference; every piece of origin evidence is an
`auditor:evidence` property; the task, architecture and training datasets, when known, form
a `modelCard` (`model_cards`; the document adds it to the serialised JSON because
cyclonedx-python-lib has no model for it). Every other component whose publisher the
registry named has that account as its `supplier` (no country: a registry account says
nothing of where it is), with the project's repository as its `url`.

The library is slow to import (~0.2 s), so it is imported only when this format is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from packageurl import PackageURL

from auditor.licences import link_of
from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    DependencyKind,
    Evidence,
    Origin,
    Scan,
    Strength,
)

if TYPE_CHECKING:
    from cyclonedx.model import HashType, Property
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.license import License

    from auditor.graph.trace import Trace

PREFIX = "auditor"
"""Namespace of every property we add (CycloneDX property taxonomy style: `ns:name`)."""
HASH_ALGORITHMS = {  # our `algorithm:hex` names -> CycloneDX's names, with the hex length
    "md5": ("MD5", 32),
    "sha1": ("SHA-1", 40),
    "sha256": ("SHA-256", 64),
    "sha384": ("SHA-384", 96),
    "sha512": ("SHA-512", 128),
    "sha3_256": ("SHA3-256", 64),
    "sha3_512": ("SHA3-512", 128),
    "blake2b_256": ("BLAKE2b-256", 64),
}
_HEX = frozenset("0123456789abcdefABCDEF")
ML_KINDS = frozenset({ComponentKind.MODEL, ComponentKind.DATASET})
"""Hub uploads: these get supplier, manufacturer, pedigree and evidence properties."""
CARD_FIELDS = {  # evidence field -> modelCard.modelParameters key
    "pipeline_tag": "task",
    "task": "task",
    "model_type": "architectureFamily",
    "architecture": "modelArchitecture",
}


def model_cards(scan: Scan) -> dict[str, dict[str, object]]:
    """CycloneDX `modelCard`s by bom-ref, for the models whose task, architecture or
    training datasets the scan knows; the library cannot express them yet."""
    datasets = {c.purl for c in scan.components if c.kind is ComponentKind.DATASET}
    trained_on: dict[str, list[str]] = {}
    for d in scan.dependencies:
        if d.kind is DependencyKind.DERIVED_FROM and d.target in datasets:
            trained_on.setdefault(d.source, []).append(d.target)
    origins = scan.origins_by_purl()
    cards: dict[str, dict[str, object]] = {}
    for c in scan.components:
        if c.kind is not ComponentKind.MODEL:
            continue
        origin = origins.get(c.purl)
        evidence = origin.evidence if origin else c.evidence
        parameters: dict[str, object] = {}
        for e in sorted(evidence, key=lambda e: -e.strength.rank):  # strongest wins
            key = CARD_FIELDS.get(e.field)
            if key and e.value.strip():
                parameters.setdefault(key, e.value.strip())
        if c.purl in trained_on:
            parameters["datasets"] = [{"ref": ref} for ref in dict.fromkeys(trained_on[c.purl])]
        if parameters:
            cards[c.purl] = {"bom-ref": f"{c.purl}#model-card", "modelParameters": parameters}
    return cards


def bom_components(scan: Scan) -> list[CdxComponent]:
    """One CycloneDX component per inventory entry but services, bom-ref = purl."""
    from auditor.graph.trace import Tracer

    origins = scan.origins_by_purl()
    tracer = Tracer(scan)
    listed = {c.purl: c for c in scan.components}
    out = []
    for c in scan.components:
        if c.kind is ComponentKind.SERVICE:
            continue  # called, not shipped: the BOM's `services` (cyclonedx_services)
        trace = tracer.trace(c.purl)
        origin = origins.get(c.purl)
        component = _component(c, origin)
        component.properties.update(properties(trace_facts(trace)))
        if c.kind in ML_KINDS:
            _add_ml_facts(component, c, origin, trace, listed)
        elif origin is not None and origin.publisher is not None:
            # The account the registry says published it: the supplier NTIA's minimum
            # elements ask for (auditor/sbom/profiles.py), never a guess; the project's own
            # repository is where its maintainers are reached (BSI TR-03183-2's contact).
            component.supplier = _entity(origin.publisher.value, None)
            repository = origin.repository.value if origin.repository else ""
            if _is_web(repository):
                from cyclonedx.model import XsUri

                component.supplier.urls.add(XsUri(repository))
        out.append(component)
    return out


def trace_facts(trace: Trace) -> Iterator[tuple[str, str | None]]:
    """What the component traces to (auditor.graph.trace), one root at a time."""
    for source in trace.sources:
        yield "trace:root", source.root
        yield "trace:organisation", source.organisation
        yield "trace:country", source.country
        yield "trace:strength", source.strength.value if source.strength else None
        yield "trace:retrieved-at", source.retrieved_at


def _add_ml_facts(
    component: CdxComponent,
    c: Component,
    origin: Origin | None,
    trace: Trace,
    listed: dict[str, Component],
) -> None:
    """Supplier, manufacturer, pedigree, attestations and evidence for a hub upload."""
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.component import Pedigree

    country = origin.country.value if origin and origin.country else None
    if origin and origin.publisher:
        component.supplier = _entity(origin.publisher.value, country)
    # The manufacturer is whose weights they are: the lineage root (itself, with no lineage).
    root = next((s for s in trace.sources if s.organisation), None)
    if root is not None:
        component.manufacturer = _entity(root.organisation or "", root.country)
    ancestors = list(dict.fromkeys(p for s in trace.sources for p in s.purls[1:]))
    if ancestors:
        component.pedigree = Pedigree(
            ancestors=[_ancestor(purl, c.purl, listed.get(purl)) for purl in ancestors]
        )
    evidence: tuple[Evidence, ...] = origin.evidence if origin else c.evidence
    for url in dict.fromkeys(
        e.where for e in evidence if e.strength is Strength.ATTESTED and _is_web(e.where)
    ):
        component.external_references.add(
            ExternalReference(type=ExternalReferenceType.ATTESTATION, url=XsUri(url))
        )
    component.properties.update(
        properties(
            ("evidence", f"{e.strength.value} {e.source} {e.field}={e.value} ({e.where})")
            for e in evidence
        )
    )


def _entity(name: str, country: str | None) -> OrganizationalEntity:
    from cyclonedx.model.contact import OrganizationalEntity, PostalAddress

    address = PostalAddress(country=country) if country else None
    return OrganizationalEntity(name=name, address=address)


def _ancestor(purl: str, child: str, known: Component | None) -> CdxComponent:
    """A lineage parent as pedigree wants it: a copy, with a bom-ref of its own."""
    from cyclonedx.model.component import Component as CdxComponent

    parsed = purl_of(purl)
    kind = known.kind if known else ComponentKind.MODEL
    return CdxComponent(
        type=_component_type(kind),
        name=known.name if known else (parsed.name if parsed else purl),
        version=known.version if known else (parsed.version if parsed else None),
        bom_ref=f"{child}#ancestor:{purl}",
        purl=parsed,
    )


def _is_web(text: str) -> bool:
    return text.startswith(("https://", "http://")) and not any(ch.isspace() for ch in text)


def _component(c: Component, origin: Origin | None) -> CdxComponent:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence

    repository = origin.repository if origin else None
    references = []
    if repository is not None and repository.value.startswith(("https://", "http://")):
        references.append(
            ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(repository.value))
        )
    occurrences = [
        Occurrence(
            # Without a bom-ref the library orders occurrences by chance (unset refs never
            # compare equal); numbered refs keep the output byte-for-byte reproducible.
            bom_ref=f"{c.purl}#location-{n}",
            location=loc.path,
            line=loc.line,
            additional_context=_location_context(loc.target, loc.layer),
        )
        for n, loc in enumerate(c.locations, 1)
    ]
    hashes, odd_hashes = cdx_hashes(c.hashes)
    return CdxComponent(
        type=_component_type(c.kind),
        name=c.name,
        version=c.version,
        bom_ref=c.purl,
        purl=purl_of(c.purl),
        hashes=hashes,
        licenses=_licenses(c.license, link_of(c, origin)),
        external_references=references,
        evidence=ComponentEvidence(occurrences=occurrences) if occurrences else None,
        properties=properties(component_facts(c, origin, odd_hashes)),
    )


def component_facts(
    c: Component, origin: Origin | None, odd_hashes: Sequence[str]
) -> Iterator[tuple[str, str | None]]:
    yield "found-by", c.found_by or None
    yield "direct", None if c.direct is None else str(c.direct).lower()
    for raw in odd_hashes:
        yield "hash", raw
    if origin is None:
        yield "origin:status", "skipped"
        yield "origin:reason", "not resolved"
        return
    yield "origin:status", origin.status.value
    yield "origin:reason", origin.reason
    for field in ("publisher", "repository", "organisation", "country"):
        yield from _claim(f"origin:{field}", getattr(origin, field))
    for conflict in origin.conflicts:
        yield "origin:conflict", conflict


def _claim(name: str, claim: Claim | None) -> Iterator[tuple[str, str | None]]:
    if claim is not None:
        yield name, claim.value
        yield f"{name}:strength", claim.strength.value


def properties(facts: Iterable[tuple[str, str | None]]) -> list[Property]:
    from cyclonedx.model import Property

    return [Property(name=f"{PREFIX}:{n}", value=v) for n, v in facts if v is not None]


def _location_context(target: str, layer: str | None) -> str:
    return f"target {target}" + (f", layer {layer}" if layer else "")


def _component_type(kind: ComponentKind) -> ComponentType:
    from cyclonedx.model.component import ComponentType

    return {
        ComponentKind.LIBRARY: ComponentType.LIBRARY,
        ComponentKind.OS_PACKAGE: ComponentType.LIBRARY,
        ComponentKind.MODEL: ComponentType.MACHINE_LEARNING_MODEL,
        ComponentKind.DATASET: ComponentType.DATA,
        ComponentKind.WEIGHTS: ComponentType.FILE,
        ComponentKind.APPLICATION: ComponentType.APPLICATION,
    }[kind]


class _Verbatim(PackageURL):
    """A purl that serialises as written: packageurl-python decodes `%2F` in a name and does
    not encode it again, which would turn `pkg:githubactions/o/repo%2Fpath` into another
    identity (the spec keeps an action's path inside the name)."""

    def to_string(self, encode: bool | None = True) -> str:
        return str(getattr(self, "_text", super().to_string()))


def purl_of(text: str) -> PackageURL | None:
    try:
        parsed = PackageURL.from_string(text)
    except ValueError:  # a bom-ref still identifies it; a purl that does not parse is no purl
        return None
    if "%2F" not in text and "%2f" not in text:
        return parsed
    verbatim = _Verbatim(**parsed.to_dict())
    object.__setattr__(verbatim, "_text", text)
    return verbatim


def cdx_hashes(values: Iterable[str]) -> tuple[list[HashType], list[str]]:
    """CycloneDX hashes, and the `algorithm:hex` values CycloneDX has no slot for."""
    from cyclonedx.model import HashAlgorithm, HashType

    known: list[HashType] = []
    odd: list[str] = []
    for value in values:
        algorithm, _, digest = value.partition(":")
        name, length = HASH_ALGORITHMS.get(algorithm.lower(), ("", 0))
        if name and len(digest) == length and set(digest) <= _HEX:
            known.append(HashType(alg=HashAlgorithm(name), content=digest.lower()))
        else:
            odd.append(value)
    return known, odd


def _licenses(text: str | None, link: str | None = None) -> list[License]:
    """An SPDX id or expression when the text is one, else a named licence.

    A licence no SPDX id names (`LicenseRef-llama3.2`, a Hub card's) with a `link` (the
    card's `license_link`) becomes a named licence with that url: an expression has no
    place for one.

    A licence field that holds a whole licence text (METADATA sometimes does) becomes a
    licence named by its first line, with the text attached, rather than a page-long name.
    """
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model import AttachedText
    from cyclonedx.model.license import DisjunctiveLicense

    text = (text or "").strip()
    if not text:
        return []
    first, newline, _ = text.partition("\n")
    if link and not newline and text.startswith("LicenseRef-"):
        from cyclonedx.model import XsUri

        return [DisjunctiveLicense(name=text, url=XsUri(link))]
    if newline:
        return [DisjunctiveLicense(name=first.strip(), text=AttachedText(content=text))]
    return [LicenseFactory().make_from_string(text)]
