"""Who operates a hosted AI service: rules/data/ai-services.yaml by the endpoint's host (or
the client library's default), the operator's legal entity and country from the publisher
knowledge base, and the lab a named model comes from (a `model-lab` root, which
`auditor.graph.trace` answers beside the operator). No request is sent: the answer is
data, so it is the same online and offline."""

from __future__ import annotations

from typing import ClassVar

from auditor import purls
from auditor.model import (
    MODEL_LAB,
    Claim,
    Component,
    Evidence,
    Origin,
    OriginStatus,
    PublisherKind,
    Root,
    Strength,
)
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import KnowledgeBase
from auditor.resolvers.publishers import load as load_publishers
from auditor.services.catalogue import RUNTIME_ENDPOINT, SELF_HOSTED, SERVICES_FILE, catalogue
from auditor.urls import host_of

SOURCE = "ai-services"
ECOSYSTEM = "ai-service"


def _field(component: Component, name: str) -> str | None:
    return next((e.value for e in component.evidence if e.field == name), None)


def _organisation(kb: KnowledgeBase, key: str) -> tuple[str, str, str, str] | None:
    org = next((o for o in kb.organisations if o.key == key), None)
    return None if org is None else (org.name, org.country, org.source, org.checked)


def _lab_root(kb: KnowledgeBase, model: str | None) -> tuple[Root, Evidence] | None:
    """The `model-lab` root (and its evidence) of the lab a named model comes from. The name
    is matched by prefix, so it is `inferred`; `declared` only when the knowledge base entry
    is verified (its accounts and legal entity are linked by a cited page, not by naming)."""
    lab = catalogue().lab_of(model) if model else None
    org = next((o for o in kb.organisations if o.key == lab.lab), None) if lab else None
    if lab is None or org is None:
        return None
    strength = Strength.DECLARED if org.verified else Strength.INFERRED
    root = Root(purls.ai_lab(org.key), MODEL_LAB, org.name, org.country, strength)
    return root, Evidence(SOURCE, "model.lab", f"{org.name} ({org.country})", lab.source,
                          strength)  # fmt: skip


class AiServiceResolver(Resolver):
    """Operators of hosted AI endpoints, from data."""

    name: ClassVar[str] = "ai-service"
    ecosystems: ClassVar[frozenset[str]] = frozenset({ECOSYSTEM})

    def resolve(self, component: Component) -> Resolution:
        """The operator (organisation, country), the endpoint's documented region and the
        model's lab; `self-hosted` for a private endpoint; unknown for a host not in the data."""
        base = local_origin(component, OriginStatus.UNKNOWN, None)
        provider = _field(component, "provider") or ""
        # one purl may be called at several places, through several endpoints (regions)
        endpoints = [e.value for e in component.evidence if e.field == "endpoint"]
        hosts = [h for h in dict.fromkeys(map(host_of, endpoints)) if h is not None]
        host = hosts[0] if hosts else None
        kb = load_publishers()
        evidence = list(base.evidence)
        lab = _lab_root(kb, _field(component, "model"))
        roots = (lab[0],) if lab else ()
        if lab is not None:
            evidence.append(lab[1])
        if provider == SELF_HOSTED:
            where = ", ".join(hosts) or "a private address"
            return Resolution(
                Origin(
                    purl=component.purl,
                    status=OriginStatus.RESOLVED,
                    reason=f"self-hosted endpoint ({where})",
                    roots=roots,
                    evidence=tuple(evidence),
                    publisher_kind=PublisherKind.SELF_HOSTED,
                )
            )
        entry = catalogue().by_id(provider)
        operator = _organisation(kb, entry.operator) if entry is not None else None
        if entry is None or operator is None:
            reason = f"endpoint host {host or provider} is not in rules/data/{SERVICES_FILE}"
            if provider == RUNTIME_ENDPOINT:
                reason = "the endpoint is set at run time (a variable or setting), not in the code"
            origin = Origin(component.purl, OriginStatus.UNKNOWN, reason, roots=roots,
                            evidence=tuple(evidence))  # fmt: skip
            return Resolution(origin)
        name, country, org_source, checked = operator
        evidence.append(Evidence(SOURCE, f"operator[{entry.id}]", name, entry.source,
                                 Strength.DECLARED, checked))  # fmt: skip
        evidence.append(Evidence(SOURCE, "operator.country", country, org_source,
                                 Strength.DECLARED, checked))  # fmt: skip
        if entry.default_host and any(host_of(e) is None for e in endpoints):
            hosts.append(entry.default_host)  # a use without an endpoint: the SDK's default
        for region in dict.fromkeys(r for h in hosts if (r := entry.region(h)) is not None):
            evidence.append(Evidence(SOURCE, "endpoint_region", region, entry.source,
                                     Strength.DECLARED, entry.checked))  # fmt: skip
        return Resolution(
            Origin(
                purl=component.purl,
                status=OriginStatus.RESOLVED,
                publisher=Claim(entry.id, Strength.DECLARED),
                organisation=Claim(name, Strength.DECLARED),
                country=Claim(country, Strength.DECLARED),
                roots=roots,
                evidence=tuple(evidence),
                publisher_kind=PublisherKind.ORGANISATION,
            )
        )
