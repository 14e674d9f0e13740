"""Where a scan's components come from, counted: shared by the table and the PR comment."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auditor.model import INDIVIDUAL_MAINTAINERS, ComponentKind, OriginStatus, PublisherKind, Scan

FACETS = ("country", "organisation", "publisher")
MODEL_KINDS = frozenset({ComponentKind.MODEL, ComponentKind.DATASET, ComponentKind.WEIGHTS})
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Count:
    """One facet value: how many components have it, and how many of those are models."""

    value: str
    total: int
    models: int


@dataclass(frozen=True, slots=True)
class Rollup:
    """Origin statuses, repository strengths, and every facet's values, most common first."""

    statuses: tuple[tuple[str, int], ...]
    strengths: tuple[tuple[str, int], ...]
    facets: tuple[tuple[str, tuple[Count, ...]], ...]


def origin_rollup(scan: Scan) -> Rollup:
    """Count the resolved origins by status, repository strength and each facet."""
    origins = scan.origins_by_purl()
    kinds = {c.purl: c.kind for c in scan.components}
    statuses = Counter(o.status.value for o in origins.values())
    strengths = Counter(o.repository.strength.value if o.repository else "none"
                        for o in origins.values())  # fmt: skip
    facets = []
    for facet in FACETS:
        values: Counter[str] = Counter()
        models: Counter[str] = Counter()
        for purl, origin in origins.items():
            claim = getattr(origin, facet)
            value = claim.value if claim is not None else UNKNOWN
            if (
                value == UNKNOWN
                and facet == "organisation"
                and (origin.publisher_kind is PublisherKind.INDIVIDUAL)
            ):
                value = INDIVIDUAL_MAINTAINERS  # an answer of its own, not unknown
            values[value] += 1
            if kinds.get(purl) in MODEL_KINDS:
                models[value] += 1
        counts = tuple(Count(v, n, models[v]) for v, n in values.most_common())
        facets.append((facet, counts))
    return Rollup(
        statuses=tuple((s.value, statuses.get(s.value, 0)) for s in OriginStatus),
        strengths=tuple(strengths.most_common()),
        facets=tuple(facets),
    )
