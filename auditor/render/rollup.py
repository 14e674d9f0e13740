"""Where a scan's components come from, counted: shared by the table and the PR comment.

Country and organisation are what `auditor.graph.trace` answers (a derived model counts
under its lineage roots', not its re-packager's); publisher is the origin's own claim. One
facet is one entry of `FACETS`: a function from a component's trace and origin to its values
(None: unknown), so a new row (say, individual maintainers) is one more entry. A self-hosted
service's own answer is the row `self-hosted` (`auditor.graph.trace.rolled_up`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from auditor.graph.trace import Trace, Tracer, rolled_up
from auditor.model import (
    INDIVIDUAL_MAINTAINERS,
    ComponentKind,
    Origin,
    OriginStatus,
    PublisherKind,
    Scan,
)

Values = Callable[[Trace, Origin | None], tuple[str | None, ...]]


def _traced(trace: Trace, origin: Origin | None, facet: str) -> tuple[str | None, ...]:
    """The trace's values, a self-hosted service's own under `self-hosted` (None: unknown)."""
    found = tuple(dict.fromkeys(rolled_up(s, facet, origin) for s in trace.sources))
    return found or (None,)


def _organisations(trace: Trace, origin: Origin | None) -> tuple[str | None, ...]:
    """What a component traces to by organisation; a package people publish is counted as
    `individual maintainers`, an answer of its own, not unknown."""
    found = _traced(trace, origin, "organisation")
    individual = origin is not None and origin.publisher_kind is PublisherKind.INDIVIDUAL
    return (INDIVIDUAL_MAINTAINERS,) if individual and not any(found) else found


FACETS: dict[str, Values] = {
    "country": lambda trace, origin: _traced(trace, origin, "country"),
    "organisation": _organisations,
    "publisher": lambda _, o: (o.publisher.value if o and o.publisher else None,),
}
MODEL_KINDS = frozenset({ComponentKind.MODEL, ComponentKind.DATASET, ComponentKind.WEIGHTS})
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Count:
    """One facet value: how many components have it, and how many of those are models and
    how many hosted AI services."""

    value: str
    total: int
    models: int
    services: int = 0


@dataclass(frozen=True, slots=True)
class Rollup:
    """Origin statuses, repository strengths, and every facet's values, most common first."""

    statuses: tuple[tuple[str, int], ...]
    strengths: tuple[tuple[str, int], ...]
    facets: tuple[tuple[str, tuple[Count, ...]], ...]


def origin_rollup(scan: Scan, tracer: Tracer | None = None) -> Rollup:
    """Count the origins by status and repository strength, and the inventory by each facet
    (a component tracing to two countries counts once under each)."""
    origins = scan.origins_by_purl()
    tracer = tracer or Tracer(scan)
    statuses = Counter(o.status.value for o in origins.values())
    strengths = Counter(o.repository.strength.value if o.repository else "none"
                        for o in origins.values())  # fmt: skip
    facets = []
    for facet, values_of in FACETS.items():
        values: Counter[str] = Counter()
        models: Counter[str] = Counter()
        services: Counter[str] = Counter()
        for c in scan.components:
            for value in values_of(tracer.trace(c.purl), origins.get(c.purl)):
                values[value or UNKNOWN] += 1
                if c.kind in MODEL_KINDS:
                    models[value or UNKNOWN] += 1
                elif c.kind is ComponentKind.SERVICE:
                    services[value or UNKNOWN] += 1
        counts = tuple(Count(v, n, models[v], services[v]) for v, n in values.most_common())
        facets.append((facet, counts))
    return Rollup(
        statuses=tuple((s.value, statuses.get(s.value, 0)) for s in OriginStatus),
        strengths=tuple(strengths.most_common()),
        facets=tuple(facets),
    )
