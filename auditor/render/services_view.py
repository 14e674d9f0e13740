"""The "AI services called" rows every report shows: one per hosted service component, with
where it is called, the endpoint, who operates it and from where, and the model's lab.

Organisation and country are `auditor.graph.trace`'s answer (the one roll-up), the endpoint's
region and the lab are the resolver's evidence (auditor/resolvers/ai_service.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.graph.trace import Tracer
from auditor.model import ComponentKind, Scan

SDK_DEFAULT = "(client library default)"


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One hosted AI service the scanned code or configuration calls."""

    purl: str
    provider: str
    model: str | None
    endpoints: tuple[str, ...]
    """Endpoint URLs as written (credentials and query already stripped), or the SDK default."""
    called_at: tuple[str, ...]
    """`path:line` of each place that calls it."""
    operator: str | None
    country: str | None
    regions: tuple[str, ...]
    """Where the endpoints are operated, when the provider documents it."""
    publisher_kind: str | None
    """`organisation`, `self-hosted` or None."""
    lab: str | None
    """The organisation (and country) the model name belongs to."""


def service_rows(scan: Scan, tracer: Tracer | None = None) -> tuple[ServiceRow, ...]:
    """Every service component, by provider and model."""
    origins = scan.origins_by_purl()
    tracer = tracer or Tracer(scan)
    rows: list[ServiceRow] = []
    for c in scan.components:
        if c.kind is not ComponentKind.SERVICE:
            continue
        fields: dict[str, list[str]] = {}
        origin = origins.get(c.purl)
        for e in (*c.evidence, *(origin.evidence if origin else ())):
            values = fields.setdefault(e.field, [])
            if e.value not in values:
                values.append(e.value)
        trace = tracer.trace(c.purl)
        organisations = [v for v in trace.values("organisation") if v]
        countries = [v for v in trace.values("country") if v]
        rows.append(
            ServiceRow(
                purl=c.purl,
                provider=(fields.get("provider") or [c.name])[0],
                model=_first(fields, "model"),
                endpoints=tuple(fields.get("endpoint", [])),
                called_at=tuple(
                    f"{loc.path}:{loc.line}" if loc.line else loc.path for loc in c.locations
                ),
                operator=organisations[0] if organisations else None,
                country=countries[0] if countries else None,
                regions=tuple(fields.get("endpoint_region", [])),
                publisher_kind=origin.publisher_kind.value
                if origin and origin.publisher_kind
                else None,
                lab=_first(fields, "model.lab"),
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.provider, r.model or "")))


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None
