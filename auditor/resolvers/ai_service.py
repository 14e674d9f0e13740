"""Who operates a hosted AI service: rules/data/ai-services.yaml by the endpoint's host (or
the client library's default), the operator's legal entity and country from the publisher
knowledge base, and the lab a named model comes from. No request is sent: the answer is
data, so it is the same online and offline."""

from __future__ import annotations

from typing import ClassVar

from auditor.model import Claim, Component, Evidence, Origin, OriginStatus, PublisherKind, Strength
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import KnowledgeBase
from auditor.resolvers.publishers import load as load_publishers
from auditor.services.catalogue import SELF_HOSTED, SERVICES_FILE, catalogue
from auditor.urls import host_of

SOURCE = "ai-services"
ECOSYSTEM = "ai-service"


def _field(component: Component, name: str) -> str | None:
    return next((e.value for e in component.evidence if e.field == name), None)


def _organisation(kb: KnowledgeBase, key: str) -> tuple[str, str, str, str] | None:
    org = next((o for o in kb.organisations if o.key == key), None)
    return None if org is None else (org.name, org.country, org.source, org.checked)


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
        model = _field(component, "model")
        lab = catalogue().lab_of(model) if model else None
        if lab is not None and (found := _organisation(kb, lab.lab)) is not None:
            evidence.append(Evidence(SOURCE, "model.lab", f"{found[0]} ({found[1]})",
                                     lab.source, Strength.INFERRED))  # fmt: skip
        if provider == SELF_HOSTED:
            where = ", ".join(hosts) or "a private address"
            return Resolution(
                Origin(
                    purl=component.purl,
                    status=OriginStatus.RESOLVED,
                    reason=f"self-hosted endpoint ({where})",
                    evidence=tuple(evidence),
                    publisher_kind=PublisherKind.SELF_HOSTED,
                )
            )
        entry = catalogue().by_id(provider)
        operator = _organisation(kb, entry.operator) if entry is not None else None
        if entry is None or operator is None:
            reason = f"endpoint host {host or provider} is not in rules/data/{SERVICES_FILE}"
            return Resolution(
                Origin(component.purl, OriginStatus.UNKNOWN, reason, evidence=tuple(evidence))
            )
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
                evidence=tuple(evidence),
                publisher_kind=PublisherKind.ORGANISATION,
            )
        )
