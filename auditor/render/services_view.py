"""The "AI services called" rows every report shows: one per hosted service component, with
where it is called, the endpoint, who operates it and from where, and the model's lab.

Operator, country and the model's lab are `auditor.graph.trace`'s answer (the one roll-up:
the service's own source and its `model-lab` root), the endpoint's region the resolver's
evidence (auditor/resolvers/ai_service.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.graph.trace import SELF, Tracer
from auditor.model import MODEL_LAB, ComponentKind, Scan

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
        # the operator is the service's own answer, the lab its `model-lab` root's: both
        # from the one trace (auditor.graph.trace), as every other view reads them
        sources = tracer.trace(c.purl).sources
        own = next((s for s in sources if s.relation == SELF), None)
        labs = [s for s in sources if s.relation == MODEL_LAB and s.organisation]
        rows.append(
            ServiceRow(
                purl=c.purl,
                provider=(fields.get("provider") or [c.name])[0],
                model=_first(fields, "model"),
                endpoints=tuple(fields.get("endpoint", [])),
                called_at=tuple(
                    f"{loc.path}:{loc.line}" if loc.line else loc.path for loc in c.locations
                ),
                operator=own.organisation if own else None,
                country=own.country if own else None,
                regions=tuple(fields.get("endpoint_region", [])),
                publisher_kind=origin.publisher_kind.value
                if origin and origin.publisher_kind
                else None,
                lab=", ".join(f"{s.organisation} ({s.country or '?'})" for s in labs) or None,
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.provider, r.model or "")))


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None
