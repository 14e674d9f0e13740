"""CycloneDX `services`: each hosted AI service the scan found (component kind `service`).

A service is called, not shipped, so it goes to the BOM's `services`, not its components:
bom-ref = our purl, `name` the provider/model, `provider` the operator (the one trace's
organisation), `endpoints` the endpoint URLs as found (credentials and query already
stripped), `trustZone`-crossing (`x-trust-boundary`) true unless the endpoint is
self-hosted, and `auditor:*` properties for what CycloneDX has no field for: provider, model,
country, the endpoint's documented region, the model's lab and each place that calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.model import Scan
from auditor.render.cyclonedx_components import properties
from auditor.render.services_view import service_rows

if TYPE_CHECKING:
    from cyclonedx.model.service import Service


def bom_services(scan: Scan) -> list[Service]:
    """One CycloneDX service per service component, in the rows' order."""
    from cyclonedx.model import XsUri
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.service import Service

    out: list[Service] = []
    for row in service_rows(scan):
        urls = [XsUri(e) for e in row.endpoints if e.startswith(("http://", "https://"))]
        facts: list[tuple[str, str | None]] = [
            ("service:provider", row.provider),
            ("service:model", row.model),
            ("service:country", row.country),
            ("service:publisher-kind", row.publisher_kind),
            ("service:model-lab", row.lab),
            *(("service:endpoint-region", r) for r in row.regions),
            *(("service:called-at", where) for where in row.called_at),
        ]
        out.append(
            Service(
                name=f"{row.provider}/{row.model}" if row.model else row.provider,
                bom_ref=row.purl,
                group="ai-service",
                provider=OrganizationalEntity(name=row.operator) if row.operator else None,
                endpoints=urls or None,
                x_trust_boundary=row.publisher_kind != "self-hosted",
                properties=properties(facts),
            )
        )
    return out
