"""A scan's origin roll-up, stored so portfolio questions sum rows instead of re-tracing.

The groups are exactly `auditor origins --by country|organisation` of that scan (both ask
`origin_groups`, which asks `auditor.graph.trace.Tracer`); `lineage-root-organisation` is the
organisation groups' models alone: which organisations the models' lineage roots belong to
(a derived model counts under its roots', a base model under its own, a hosted AI service's
model under its lab's); `ultimate-organisation` is `auditor origins --by organisation
--ultimate`. A scan indexed before that facet existed (organisation rows, no ultimate ones)
counts as not indexed, so it is indexed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from auditor.portfolio import TOTAL, ULTIMATE

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from auditor.graph.queries import OriginGroup, Traced
    from auditor.model import Scan

LINEAGE = "lineage-root-organisation"


def rollup_rows(scan: Scan) -> list[dict[str, Any]]:
    """The `portfolio_rollups` rows of `scan`."""
    from auditor.attribution.parents import ultimate_parents
    from auditor.graph.queries import OriginGroup, Traced, origin_groups

    rows: list[dict[str, Any]] = []
    total = OriginGroup(None, tuple(Traced(c, ()) for c in scan.components))
    rows.append(_row(scan.id, TOTAL, total))
    for facet in ("country", "organisation"):
        groups = origin_groups(scan, facet)
        rows.extend(_row(scan.id, facet, g) for g in groups)
        if facet == "organisation":
            for g in groups:
                # a hosted service's model counts under its lab (a `model-lab` root), never
                # under the operator that serves it
                models = tuple(m for m in g.members if _lineage_member(m))
                if models:
                    rows.append(_row(scan.id, LINEAGE, OriginGroup(g.value, models)))
    tops = ultimate_parents(scan)
    rows.extend(_row(scan.id, ULTIMATE, g) for g in origin_groups(scan, "organisation", tops))
    for position, row in enumerate(rows):
        row["position"] = position
    return rows


def _lineage_member(member: Traced) -> bool:
    """A model, or a hosted service counted through its `model-lab` root (not its operator)."""
    from auditor.graph.queries import MODEL_KINDS, SERVICE_KINDS

    kind = member.component.kind
    return kind in MODEL_KINDS or (kind in SERVICE_KINDS and any(v != "origin" for v in member.via))


def _row(scan_id: str, facet: str, group: OriginGroup) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "facet": facet,
        "value": group.value,
        "components": group.total,
        "direct": group.direct,
        "transitive": group.transitive,
        "packages": group.packages,
        "models": group.models,
    }


def write_rollup(conn: Connection, rows: Sequence[dict[str, Any]], scan_id: str) -> None:
    """Replace the roll-up of `scan_id` with `rows` (inside the caller's transaction)."""
    from sqlalchemy import delete

    from auditor.store.models import portfolio_rollups as r

    conn.execute(delete(r).where(r.c.scan_id == scan_id))
    if rows:
        conn.execute(r.insert(), list(rows))


def unindexed(conn: Connection, scan_ids: Iterable[str]) -> list[str]:
    """Those of `scan_ids` with no roll-up yet."""
    from sqlalchemy import select

    from auditor.store.models import portfolio_rollups as r

    wanted = list(dict.fromkeys(scan_ids))
    facets: dict[str, set[str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = (
            select(r.c.scan_id, r.c.facet)
            .where(r.c.facet.in_((TOTAL, "organisation", ULTIMATE)), r.c.scan_id.in_(chunk))
            .distinct()
        )
        for scan_id, facet in conn.execute(query):
            facets.setdefault(scan_id, set()).add(facet)
    return [s for s in wanted if not _indexed(facets.get(s, set()))]


def _indexed(facets: set[str]) -> bool:
    """A total row, and ultimate rows whenever there are organisation rows (a scan indexed
    before the ultimate facet existed has none)."""
    return TOTAL in facets and ("organisation" not in facets or ULTIMATE in facets)
