"""The SQL behind the portfolio: the latest scan of every target (as of a date), and what
those scans hold, summed from the indexed tables (never by loading whole scans).

`latest` picks, for each target identity, its newest scan started at or before `as_of`; a
scan of several targets is one scan (its components are counted once), listed under each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from auditor.portfolio import TOTAL

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Subquery

MAX_HITS = 10_000
"""`where` answers at most this many (target, component) rows; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Latest:
    """One target and the scan that answers for it."""

    identity: str
    ref: str
    scan_id: str
    started_at: str
    evaluation: int = 1
    """The scan's newest evaluation, which answers (`auditor rescreen`)."""


@dataclass(frozen=True, slots=True)
class Group:
    """One value of a facet across the portfolio."""

    value: str | None
    targets: int
    """Targets whose latest scan has at least one component with this value."""
    components: int
    """Component occurrences (a package in ten targets counts ten times)."""
    direct: int
    transitive: int
    packages: int
    models: int


@dataclass(frozen=True, slots=True)
class Hit:
    """A component matching `where`, in one target."""

    target: str
    scan_id: str
    purl: str
    version: str | None
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingHit:
    """A finding of the asked rule, in one target."""

    target: str
    scan_id: str
    rule: str
    severity: str
    action: str
    purl: str
    message: str
    waived: bool
    evaluation: int = 1
    """Which evaluation of the scan (`auditor rescreen`): always its newest."""


def latest_subquery(as_of: datetime | None) -> Subquery:
    """(target_id, scan_id) of each target's newest scan started at or before `as_of`."""
    from sqlalchemy import func, select

    from auditor.store.models import scan_targets as st
    from auditor.store.models import scans

    rank = (
        func.row_number()
        .over(
            partition_by=st.c.target_id,
            order_by=(scans.c.started_ts.desc().nulls_last(), scans.c.id.desc()),
        )
        .label("rank")
    )
    ranked = select(st.c.target_id, st.c.scan_id, st.c.ref, rank).join(
        scans, scans.c.id == st.c.scan_id
    )
    if as_of is not None:
        ranked = ranked.where(scans.c.started_ts <= as_of)
    inner = ranked.subquery("ranked")
    return (
        select(inner.c.target_id, inner.c.scan_id, inner.c.ref)
        .where(inner.c.rank == 1)
        .subquery("latest")
    )


def latest(conn: Connection, as_of: datetime | None) -> list[Latest]:
    """Every target and its answering scan, by target identity."""
    from sqlalchemy import select

    from auditor.store.models import scans, targets

    lt = latest_subquery(as_of)
    query = (
        select(targets.c.identity, lt.c.ref, lt.c.scan_id, scans.c.started_at, scans.c.evaluation)
        .join(lt, lt.c.target_id == targets.c.id)
        .join(scans, scans.c.id == lt.c.scan_id)
        .order_by(targets.c.identity)
    )
    return [Latest(*row) for row in conn.execute(query)]


def origins(conn: Connection, facet: str, as_of: datetime | None) -> list[Group]:
    """The facet's values over the latest scans, most components first, unknown last."""
    from sqlalchemy import func, select

    from auditor.store.models import portfolio_rollups as r

    lt = latest_subquery(as_of)
    scan_ids = select(lt.c.scan_id).distinct().scalar_subquery()
    sums = (
        select(
            r.c.value,
            func.sum(r.c.components),
            func.sum(r.c.direct),
            func.sum(r.c.transitive),
            func.sum(r.c.packages),
            func.sum(r.c.models),
        )
        .where(r.c.facet == facet, r.c.scan_id.in_(scan_ids))
        .group_by(r.c.value)
    )
    counted = (
        select(r.c.value, func.count(func.distinct(lt.c.target_id)))
        .join(lt, lt.c.scan_id == r.c.scan_id)
        .where(r.c.facet == facet)
        .group_by(r.c.value)
    )
    targets = {value: int(n) for value, n in conn.execute(counted)}
    groups = [
        Group(value, targets.get(value, 0), *(int(x) for x in rest))
        for value, *rest in conn.execute(sums)
    ]
    groups.sort(key=lambda g: (g.value is None, -g.components, g.value or ""))
    return groups


def per_target(conn: Connection, facet: str, as_of: datetime | None) -> dict[str, dict[Any, int]]:
    """For each latest scan: its component total (key None under TOTAL) and the facet's
    values with their component counts: the portfolio report's rows."""
    from sqlalchemy import select

    from auditor.store.models import portfolio_rollups as r

    lt = latest_subquery(as_of)
    query = select(r.c.scan_id, r.c.facet, r.c.value, r.c.components).where(
        r.c.facet.in_((facet, TOTAL)), r.c.scan_id.in_(select(lt.c.scan_id).scalar_subquery())
    )
    rows: dict[str, dict[Any, int]] = {}
    for scan_id, got, value, n in conn.execute(query):
        rows.setdefault(scan_id, {})[TOTAL if got == TOTAL else value] = int(n)
    return rows


def where(conn: Connection, pattern: str, as_of: datetime | None) -> tuple[list[Hit], int]:
    """Components matching `pattern` in the latest scans: hits (target order) and how many
    more there were past MAX_HITS.

    `pattern` is a purl (`pkg:pypi/requests`: any version; with `@1.0`: that one) with `*`
    wildcards, or a bare name (`requests`, `Qwen/*`) matched against component names.
    Matching is case-sensitive on every database (LIKE narrows, a regex decides).
    """
    from sqlalchemy import select

    from auditor.store.models import components as c

    lt = latest_subquery(as_of)
    query = select(lt.c.ref, c.c.scan_id, c.c.purl, c.c.name, c.c.version, c.c.locations).join(
        lt, lt.c.scan_id == c.c.scan_id
    )
    matches = _matcher(pattern)
    column = c.c.purl if pattern.startswith("pkg:") else c.c.name
    literal = pattern.split("*", 1)[0]
    if "*" in pattern or pattern.startswith("pkg:"):
        # A superset by its literal prefix (a range scan on the pattern index); the
        # matcher decides, case-sensitively, on every database.
        query = query.where(column.like(_escape_like(literal) + "%", escape="\\"))
    else:
        query = query.where(column == pattern)
    hits: list[Hit] = []
    more = 0
    for ref, scan_id, purl, name, version, locations in conn.execute(query):
        if not matches(purl if pattern.startswith("pkg:") else name):
            continue
        if len(hits) >= MAX_HITS:
            more += 1
            continue
        paths = tuple(dict.fromkeys(loc["path"] for loc in locations or ()))
        hits.append(Hit(ref, scan_id, purl, version, paths))
    hits.sort(key=lambda h: (h.target, h.purl))
    return hits, more


def findings(conn: Connection, rule: str, as_of: datetime | None) -> list[FindingHit]:
    """Findings of `rule` (`*` wildcards allowed) in the latest scans, by target."""
    from sqlalchemy import select

    from auditor.store.models import findings as f
    from auditor.store.models import scans

    lt = latest_subquery(as_of)
    query = (
        select(
            lt.c.ref,
            f.c.scan_id,
            f.c.rule,
            f.c.severity,
            f.c.action,
            f.c.purl,
            f.c.message,
            f.c.waiver,
            f.c.evaluation,
        )
        .join(lt, lt.c.scan_id == f.c.scan_id)
        .join(scans, scans.c.id == f.c.scan_id)
        .where(f.c.evaluation == scans.c.evaluation)  # the newest evaluation's findings
    )
    if "*" in rule:
        query = query.where(f.c.rule.like(_escape_like(rule.split("*", 1)[0]) + "%", escape="\\"))
    else:
        query = query.where(f.c.rule == rule)
    matches = _matcher(rule)
    hits = [
        FindingHit(ref, scan_id, got, severity, action, purl, message, waiver is not None, n)
        for ref, scan_id, got, severity, action, purl, message, waiver, n in conn.execute(query)
        if matches(got)
    ]
    hits.sort(key=lambda h: (h.target, h.rule, h.purl))
    return hits


def finding_counts(conn: Connection, as_of: datetime | None) -> dict[str, tuple[int, int]]:
    """Per latest scan: unwaived findings, and of them high or critical."""
    from sqlalchemy import case, func, select

    from auditor.store.models import findings as f
    from auditor.store.models import scans

    lt = latest_subquery(as_of)
    high = func.sum(case((f.c.severity.in_(("high", "critical")), 1), else_=0))
    query = (
        select(f.c.scan_id, func.count(), high)
        .join(scans, scans.c.id == f.c.scan_id)
        .where(f.c.scan_id.in_(select(lt.c.scan_id).scalar_subquery()), f.c.waiver.is_(None))
        .where(f.c.evaluation == scans.c.evaluation)  # the newest evaluation's findings
        .group_by(f.c.scan_id)
    )
    return {scan_id: (int(n), int(h or 0)) for scan_id, n, h in conn.execute(query)}


def trend_points(since: datetime, until: datetime, steps: int) -> list[datetime]:
    """`steps` + 1 evenly spaced instants from `since` to `until` (both included)."""
    span = until - since
    return [since + span * i / steps for i in range(steps + 1)]


def scan_ids(rows: Iterable[Latest]) -> list[str]:
    """The distinct scans answering for `rows`, in order."""
    return list(dict.fromkeys(r.scan_id for r in rows))


def now() -> datetime:
    """The current instant (UTC)."""
    return datetime.now(UTC)


def _matcher(pattern: str) -> Callable[[str], bool]:
    """`*` matches anything; everything else is literal (`?` is a purl's qualifier mark).
    A purl pattern whose last segment names no version matches every version of it."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    if pattern.startswith("pkg:") and "@" not in pattern.rpartition("/")[2]:
        body += r"(?:[@?#].*)?"
    compiled = re.compile(body, re.DOTALL)
    return lambda text: compiled.fullmatch(text) is not None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
