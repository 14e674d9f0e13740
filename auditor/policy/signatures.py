"""`signature.required`: components from named publishers or organisations must be signed.

The policy engine supplies the requirement (which publishers and organisations are vetted);
this module decides, per component, whether a verified signature is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packageurl import PackageURL

from auditor.model import Component, Evidence, Finding, Origin, Strength
from auditor.policy.builtin import finding

SIGNATURE_SOURCES = frozenset({"model-signing", "cosign"})
"""Evidence sources that only ever speak after a signature verified."""
SIGNER_FIELDS = frozenset({"signer", "attestation.signer"})


@dataclass(frozen=True, slots=True)
class SignatureRequirement:
    """Who must sign: matched case-insensitively against a component's origin."""

    publishers: frozenset[str] = frozenset()
    """Registry accounts or Hub namespaces (`Qwen`, `meta-llama`, `psf`)."""
    organisations: frozenset[str] = frozenset()
    """Legal entities as the knowledge base names them (`Alibaba Cloud`)."""


def is_signed(evidence: Iterable[Evidence]) -> bool:
    """True when a verified model or image signature names a signer."""
    return any(
        e.strength is Strength.ATTESTED
        and e.source in SIGNATURE_SOURCES
        and e.field in SIGNER_FIELDS
        for e in evidence
    )


def required_by(
    component: Component, origin: Origin | None, requirement: SignatureRequirement
) -> str | None:
    """Why a signature is required for `component` ("publisher Qwen"), or None."""
    publishers = {p.casefold() for p in requirement.publishers}
    organisations = {o.casefold() for o in requirement.organisations}
    candidates: list[str] = []
    if origin is not None and origin.publisher is not None:
        candidates.append(origin.publisher.value)
    namespace = _hub_namespace(component.purl)
    if namespace:  # the Hub account a model is published under is what the registry asserts
        candidates.append(namespace)
    for publisher in candidates:
        if publisher.casefold() in publishers:
            return f"publisher {publisher}"
    organisation = origin.organisation if origin is not None else None
    if organisation is not None and organisation.value.casefold() in organisations:
        return f"organisation {organisation.value}"
    return None


def signature_required_findings(
    components: Iterable[Component],
    origins: Mapping[str, Origin],
    requirement: SignatureRequirement,
) -> tuple[Finding, ...]:
    """A `signature.required` finding for each required component without a signature."""
    found: list[Finding] = []
    for component in components:
        origin = origins.get(component.purl)
        reason = required_by(component, origin, requirement)
        if reason is None:
            continue
        evidence = component.evidence + (origin.evidence if origin is not None else ())
        if not is_signed(evidence):
            message = f"{component.name}: the policy requires a verified signature from {reason}"
            found.append(finding("signature.required", component.purl, message))
    return tuple(found)


def _hub_namespace(purl: str) -> str | None:
    if not purl.startswith("pkg:huggingface/"):
        return None
    try:
        return PackageURL.from_string(purl).namespace or None
    except ValueError:
        return None
