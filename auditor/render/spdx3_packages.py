"""SPDX 3.0.1 packages and agents for `--format spdx3` (the document around them is
auditor.render.spdx3).

A model or a loose weights file is an `ai_AIPackage` (primary purpose `model`): the AI
profile's `ai_typeOfModel` is the architecture the files or the Hub name (config
`model_type`, `architecture`, a GGUF header's `general.architecture`), `ai_domain` the Hub's
task (`pipeline_tag`); nothing else of the AI profile is claimed, since the scan does not know
it. A dataset is a `dataset_DatasetPackage` whose `dataset_datasetType` (required) is
`noAssertion`: the scan does not know what kind of data it holds. The origin verdict and the
model answer ride along as `auditor:`-named entries of a `CdxPropertiesExtension`, the same
names as the CycloneDX properties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from auditor.graph.trace import Trace
from auditor.model import (
    SELF_ROOT,
    Component,
    ComponentKind,
    Origin,
    PublisherKind,
    Strength,
)
from auditor.render.cyclonedx_components import PREFIX, component_facts, trace_facts
from auditor.render.services_view import ServiceRow
from auditor.render.spdx import CHECKSUMS, NOASSERTION, _parse, download_location

CREATION = "_:creationinfo"
"""The one CreationInfo every element points at."""
HASHES = {  # our algorithm names -> SPDX 3.0.1's HashAlgorithm
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3_256": "sha3_256",
    "sha3_512": "sha3_512",
    "blake2b_256": "blake2b256",
}
_HEX = frozenset("0123456789abcdef")
AI_KINDS = frozenset({ComponentKind.MODEL, ComponentKind.WEIGHTS})
PURPOSE = {
    ComponentKind.LIBRARY: "library",
    ComponentKind.OS_PACKAGE: "library",
    ComponentKind.MODEL: "model",
    ComponentKind.WEIGHTS: "model",
    ComponentKind.DATASET: "data",
    ComponentKind.APPLICATION: "application",
    ComponentKind.SERVICE: "other",
}
AI_FIELDS = {  # evidence field -> AI profile property
    "model_type": "ai_typeOfModel",
    "architecture": "ai_typeOfModel",
    "general.architecture": "ai_typeOfModel",
    "pipeline_tag": "ai_domain",
    "task": "ai_domain",
}
SERVICE_NOTE = (
    "a hosted service the scanned code calls, not a shipped package: SPDX 3.0.1 has no class"
    " for a service, so it is a package whose purpose is other"
)


class Agents:
    """One agent element per (class, name), added to the graph on first use."""

    def __init__(self, iri: Callable[[str, str], str], add: Callable[[dict[str, Any]], str]):
        self._iri = iri
        self._add = add
        self._made: dict[tuple[str, str], dict[str, Any]] = {}
        self._countries: dict[str, dict[str, str]] = {}

    def agent(self, name: str, kind: str = "Organization", country: str | None = None,
              strength: Strength | None = None) -> str:  # fmt: skip
        """The id of the `kind` agent named `name`; a country is kept once per value."""
        key = (kind, name)
        element = self._made.get(key)
        if element is None:
            element = {
                "type": kind,
                "spdxId": self._iri(kind, name),
                "creationInfo": CREATION,
                "name": name,
            }
            self._made[key] = element
            self._add(element)
        if country and kind == "Organization":
            countries = self._countries.setdefault(name, {})
            if country not in countries:
                countries[country] = strength.value if strength else "unknown"
                # SPDX 3.0.1's Organization has no country: a comment and extension entries.
                shown = ", ".join(f"{c} ({s})" for c, s in countries.items())
                element["comment"] = f"country {shown} (origin-auditor's attribution)"
                element["extension"] = extension(
                    fact
                    for c, s in countries.items()
                    for fact in (("country", c), ("country:strength", s))
                )
        return str(element["spdxId"])


def extension(facts: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """A `CdxPropertiesExtension` of `auditor:`-named entries ([] when there are none)."""
    entries = [
        {"type": "extension_CdxPropertyEntry", "extension_cdxPropName": f"{PREFIX}:{name}",
         "extension_cdxPropValue": value}
        for name, value in facts
        if value is not None
    ]  # fmt: skip
    if not entries:
        return []
    return [{"type": "extension_CdxPropertiesExtension", "extension_cdxProperty": entries}]


def is_dataset(purl: str, component: Component | None) -> bool:
    """A dataset by its kind, or by its Hub purl when the inventory lacks it."""
    if component is not None:
        return component.kind is ComponentKind.DATASET
    return purl.startswith("pkg:huggingface/") and "repository_type=dataset" in purl


def _class(kind: ComponentKind) -> str:
    if kind in AI_KINDS:
        return "ai_AIPackage"
    if kind is ComponentKind.DATASET:
        return "dataset_DatasetPackage"
    return "software_Package"


def _base(iri: str, cls: str, name: str, purl: str, version: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": cls, "spdxId": iri, "creationInfo": CREATION, "name": name}
    if version:
        found["software_packageVersion"] = version
    if _parse(purl) is not None:
        found["software_packageUrl"] = purl
    download = download_location(purl)
    if download != NOASSERTION:
        found["software_downloadLocation"] = download
    if cls == "dataset_DatasetPackage":
        found["dataset_datasetType"] = ["noAssertion"]  # required; we do not know it
    return found


def hashes(values: Iterable[str]) -> list[dict[str, str]]:
    """`verifiedUsing` hashes for the `algorithm:hex` values SPDX 3.0.1 names."""
    found = []
    for value in values:
        algorithm, _, digest = value.partition(":")
        name = HASHES.get(algorithm.lower())
        digest = digest.lower()
        if name and len(digest) == CHECKSUMS[algorithm.lower()][1] and set(digest) <= _HEX:
            found.append({"type": "Hash", "algorithm": name, "hashValue": digest})
    return found


def _supplier(origin: Origin | None, agents: Agents) -> str | None:
    """The attributed organisation; else the publisher account, as the kind it is."""
    if origin is None:
        return None
    country = origin.country.value if origin.country else None
    strength = origin.country.strength if origin.country else None
    if origin.organisation:
        return agents.agent(origin.organisation.value, "Organization", country, strength)
    if origin.publisher:
        kind = "Agent"  # the publisher's kind unknown: SPDX's plain Agent says no more
        if origin.publisher_kind is PublisherKind.ORGANISATION:
            kind = "Organization"
        elif origin.publisher_kind is PublisherKind.INDIVIDUAL:
            kind = "Person"
        return agents.agent(origin.publisher.value, kind, country, strength)
    return None


def _originators(trace: Trace, agents: Agents) -> list[str]:
    """The organisations the model answer traces to (the component's own, with no lineage)."""
    return list(
        dict.fromkeys(
            agents.agent(s.organisation, "Organization", s.country, s.strength)
            for s in trace.sources
            if s.organisation
        )
    )


def _ai_facts(c: Component, origin: Origin | None) -> dict[str, list[str]]:
    evidence = origin.evidence + c.evidence if origin else c.evidence
    found: dict[str, list[str]] = {}
    for e in sorted(evidence, key=lambda e: -e.strength.rank):  # strongest first
        key = AI_FIELDS.get(e.field)
        value = e.value.strip()
        if key and value and value not in found.setdefault(key, []):
            found[key].append(value)
    return {k: v for k, v in found.items() if v}


def _comment(c: Component, origin: Origin | None, trace: Trace) -> str:
    status = origin.status.value if origin else "skipped"
    text = f"kind {c.kind.value}; origin {status}; found by {c.found_by or '-'}"
    if origin and origin.publisher:
        text += f"; publisher {origin.publisher.value} ({origin.publisher.strength.value})"
    return text + f"; traces to {trace.summary()}"


def package(
    iri: str, c: Component, origin: Origin | None, trace: Trace, agents: Agents
) -> dict[str, Any]:
    """One inventory entry (not a service) as an SPDX 3.0.1 package."""
    cls = _class(c.kind)
    found = _base(iri, cls, c.name or c.purl, c.purl, c.version)
    found["software_primaryPurpose"] = PURPOSE.get(c.kind, "other")
    if origin and origin.repository:
        found["software_sourceInfo"] = (
            f"repository {origin.repository.value} ({origin.repository.strength.value})"
        )
    verified = hashes(c.hashes)
    if verified:
        found["verifiedUsing"] = verified
    supplier = _supplier(origin, agents)
    if supplier:
        found["suppliedBy"] = supplier
    originators = _originators(trace, agents)
    if originators:
        found["originatedBy"] = originators
    if cls == "ai_AIPackage":
        found |= _ai_facts(c, origin)
    found["comment"] = _comment(c, origin, trace)
    odd = [h for h in c.hashes if not hashes([h])]
    found["extension"] = extension([*component_facts(c, origin, odd), *trace_facts(trace)])
    return {k: v for k, v in found.items() if v != []}


def referenced_package(iri: str, purl: str, trace: Trace, agents: Agents) -> dict[str, Any]:
    """A package an edge names that the inventory lacks (a project root, a lineage base
    only the Hub named): what its purl says, and whom the model answer traces it to."""
    parsed = _parse(purl)
    kind = ComponentKind.LIBRARY
    if purl.startswith("pkg:huggingface/"):
        kind = ComponentKind.DATASET if is_dataset(purl, None) else ComponentKind.MODEL
    name = (f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name) if (
        parsed) else purl  # fmt: skip
    found = _base(iri, _class(kind), name, purl, parsed.version if parsed else None)
    found["software_primaryPurpose"] = PURPOSE[kind]
    originators = _originators(trace, agents)
    if originators:
        found["originatedBy"] = originators
    found["comment"] = (
        "referenced by a dependency or lineage edge; not itself in the inventory; traces to"
        f" {trace.summary()}"
    )
    return found


def service_package(
    iri: str, c: Component, row: ServiceRow, trace: Trace, agents: Agents
) -> dict[str, Any]:
    """A hosted AI service: supplied by its operator, originated by the model's lab."""
    name = f"{row.provider}/{row.model}" if row.model else row.provider
    found = _base(iri, "software_Package", name, c.purl, c.version)
    found["software_primaryPurpose"] = "other"
    own = next((s for s in trace.sources if s.relation == SELF_ROOT), None)
    if row.operator:
        found["suppliedBy"] = agents.agent(row.operator, "Organization", row.country,
                                           own.strength if own else None)  # fmt: skip
    originators = _originators(trace, agents)
    if originators:
        found["originatedBy"] = originators
    found["comment"] = SERVICE_NOTE + f"; traces to {trace.summary()}"
    facts: list[tuple[str, str | None]] = [
        ("service:provider", row.provider),
        ("service:model", row.model),
        ("service:country", row.country),
        ("service:publisher-kind", row.publisher_kind),
        ("service:model-lab", row.lab),
        *(("service:endpoint", e) for e in row.endpoints),
        *(("service:endpoint-region", r) for r in row.regions),
        *(("service:called-at", where) for where in row.called_at),
    ]
    found["extension"] = extension(facts)
    return {k: v for k, v in found.items() if v != []}
