"""The SQL behind `Store`: every statement over the scan tables, each run on a connection the
caller holds in a transaction (`Store._begin`), so one answer is one consistent snapshot.

Imported only once a store is open (it imports SQLAlchemy); rows become `auditor.model`
values through `auditor.store.codec`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, func, insert, null, select, update
from sqlalchemy.engine import Connection

from auditor.bulk import no_cyclic_gc
from auditor.errors import ScanNotFoundError, StoreError
from auditor.model import DependencyKind, Evaluation, Scan, ScanStatus
from auditor.store import MIN_PREFIX, SUMMARY_SKIPS, ScanSummary, codec, models

BATCH = 500
"""Scan ids per IN list: bounded statements however many scans are listed or pruned."""


def insert_scan(conn: Connection, scan: Scan, rows: codec.ScanRows) -> None:
    """Every row of one encoded scan: one executemany per table, never a statement per row."""
    tables = models.metadata.tables
    conn.execute(insert(tables["scans"]), [rows.scan])
    ids = _target_ids(conn, rows.targets)
    placed = [
        {k: v for k, v in t.items() if k != "identity"} | {"target_id": ids[t["identity"]]}
        for t in rows.targets
    ]
    for name, items in (
        ("scan_targets", placed),
        ("components", rows.components),
        ("origins", rows.origins),
        ("dependencies", rows.dependencies),
        ("findings", rows.findings),
        ("diagnostics", rows.diagnostics),
        ("evaluations", rows.evaluations),
    ):
        if items:
            conn.execute(insert(tables[name]), [{"scan_id": scan.id} | r for r in items])


def load(conn: Connection, scan_id: str, detail: bool, evaluation: int | None = None) -> Scan:
    """The scan with this id or unique prefix at `evaluation` (None: its newest);
    `detail=False` as in `Store.load_scan`."""
    t = models.metadata.tables
    sid = _resolve_id(conn, scan_id)
    st, tg = t["scan_targets"], t["targets"]
    targets = conn.execute(
        select(st.c.ref, st.c.kind, st.c.digest, tg.c.identity)
        .join(tg, tg.c.id == st.c.target_id)
        .where(st.c.scan_id == sid)
        .order_by(st.c.position)
    )

    scan_row = conn.execute(select(t["scans"]).where(t["scans"].c.id == sid)).one()
    number = scan_row.evaluation if evaluation is None else evaluation
    if not 1 <= number <= scan_row.evaluation:
        raise StoreError(
            f"scan {sid}: no evaluation {number}",
            hint=f"it has evaluations 1 to {scan_row.evaluation} (`auditor rescreen` adds one)",
        )

    def children(name: str) -> Any:
        table = t[name]
        columns = [
            c if detail or c.name not in SUMMARY_SKIPS else null().label(c.name) for c in table.c
        ]
        query = select(*columns).where(table.c.scan_id == sid)
        if not detail and name == "dependencies":
            query = query.where(table.c.kind == DependencyKind.DERIVED_FROM.value)
        if name == "findings":
            query = query.where(table.c.evaluation == number)
        return conn.execute(query.order_by(table.c.position))

    described = None
    origins: Any = children("origins")
    if number > 1:
        described, origins = _evaluated(conn, sid, number, origins)
    else:  # the scan's own: what it was judged against, when it recorded that
        described = _own_evaluation(conn, sid)
    with no_cyclic_gc():
        return codec.decode(
            scan_row,
            targets,
            children("components"),
            origins,
            children("dependencies"),
            children("findings"),
            children("diagnostics"),
            described,
        )


def _evaluated(
    conn: Connection, sid: str, number: int, origins: Iterable[Any]
) -> tuple[Evaluation, list[Any]]:
    """Evaluation `number`'s description, and the scan's origin rows with those it changed
    put in their place (each a document read through attributes, as rows are)."""
    t = models.metadata.tables
    ev, eo = t["evaluations"], t["evaluation_origins"]
    row = conn.execute(select(ev).where(ev.c.scan_id == sid, ev.c.number == number)).one()
    changed = {
        r.position: SimpleNamespace(**r.origin)
        for r in conn.execute(
            select(eo.c.position, eo.c.origin).where(eo.c.scan_id == sid, eo.c.evaluation == number)
        )
    }
    return codec.decode_evaluation(row), [changed.get(r.position, r) for r in origins]


def _own_evaluation(conn: Connection, sid: str) -> Evaluation | None:
    """Evaluation 1's description, or None for a scan stored before it was recorded."""
    ev = models.metadata.tables["evaluations"]
    row = conn.execute(select(ev).where(ev.c.scan_id == sid, ev.c.number == 1)).one_or_none()
    return codec.decode_evaluation(row) if row is not None else None


def insert_evaluation(conn: Connection, scan: Scan, tool_version: str) -> None:
    """Store `scan` (loaded, then judged again) as its evaluation `scan.evaluation.number`:
    StoreError when another re-evaluation was stored in between (numbers are taken in order)."""
    assert scan.evaluation is not None
    t = models.metadata.tables
    scans, findings = t["scans"], t["findings"]
    number = scan.evaluation.number
    moved = conn.execute(
        update(scans)
        .where(scans.c.id == scan.id, scans.c.evaluation == number - 1)
        .values(evaluation=number)
    )
    if moved.rowcount != 1:
        raise StoreError(
            f"scan {scan.id}: evaluation {number} cannot be stored: the scan is gone or was "
            "re-evaluated meanwhile",
            hint="run `auditor rescreen` again",
        )
    conn.execute(insert(t["evaluations"]), [codec.evaluation_row(scan.id, scan.evaluation,
                                                                  tool_version)])  # fmt: skip
    first = conn.execute(
        select(func.coalesce(func.max(findings.c.position), -1) + 1).where(
            findings.c.scan_id == scan.id
        )
    ).scalar_one()
    rows = [
        {"scan_id": scan.id} | codec.finding_row(first + i, f, number)
        for i, f in enumerate(scan.findings)
    ]
    if rows:
        conn.execute(insert(findings), rows)
    own = t["origins"]
    base = conn.execute(select(own).where(own.c.scan_id == scan.id).order_by(own.c.position))
    changed = [
        {"scan_id": scan.id, "evaluation": number, "position": r.position}
        | {"origin": codec.origin_row(r.position, scan.origins[r.position])}
        for r in base
        if r.position < len(scan.origins)
        and codec.decode_origin(r, scan.id) != scan.origins[r.position]
    ]
    if changed:
        conn.execute(insert(t["evaluation_origins"]), changed)


def list_summaries(
    conn: Connection, target_identity: str | None, limit: int | None
) -> tuple[ScanSummary, ...]:
    """Summaries of the stored scans, newest first, of one target identity when given."""
    scans = models.metadata.tables["scans"]
    query = _newest_first(_summary_columns(), target_identity).limit(limit)
    rows = conn.execute(query).all()
    # The identities of the listed scans: one query, not one per scan.
    chosen = _newest_first(select(scans.c.id), target_identity).limit(limit)
    targets = _identities(conn, chosen.scalar_subquery())
    return tuple(_summary(r, targets) for r in rows)


def latest(conn: Connection, target_identity: str) -> str | None:
    """The id of the newest scan of `target_identity`, or None."""
    scans = models.metadata.tables["scans"]
    found: str | None = conn.execute(
        _newest_first(select(scans.c.id), target_identity).limit(1)
    ).scalar()
    return found


def doomed(conn: Connection, keep_last: int | None, older_than: datetime | None) -> list[str]:
    """The ids `Store.prune` deletes, newest first (see its rules)."""
    t = models.metadata.tables
    scans, st = t["scans"], t["scan_targets"]
    rows = conn.execute(_newest_first(select(scans.c.id, scans.c.started_ts), None)).all()
    chosen = {r.id for r in rows}
    if older_than is not None:
        chosen = {
            r.id for r in rows if r.started_ts is not None and _aware(r.started_ts) < older_than
        }
    if keep_last is not None:
        targets_of: dict[str, list[int]] = {}
        for scan_id, target_id in conn.execute(select(st.c.scan_id, st.c.target_id)):
            targets_of.setdefault(scan_id, []).append(target_id)
        seen: dict[object, int] = {}
        for r in rows:  # newest first
            keys: list[object] = list(targets_of.get(r.id, ())) or [("alone", r.id)]
            kept = False
            for key in keys:
                seen[key] = seen.get(key, 0) + 1
                kept |= seen[key] <= keep_last
            if kept:
                chosen.discard(r.id)
    return [r.id for r in rows if r.id in chosen]


def delete_scans(conn: Connection, ids: list[str]) -> None:
    """Delete these scans; their rows cascade."""
    scans = models.metadata.tables["scans"]
    for start in range(0, len(ids), BATCH):
        conn.execute(delete(scans).where(scans.c.id.in_(ids[start : start + BATCH])))


def summaries(conn: Connection, ids: list[str]) -> tuple[ScanSummary, ...]:
    """Summaries of these scans, in this order."""
    scans = models.metadata.tables["scans"]
    found: dict[str, ScanSummary] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        targets = _identities(conn, chunk)
        for r in conn.execute(_summary_columns().where(scans.c.id.in_(chunk))):
            found[r.id] = _summary(r, targets)
    return tuple(found[i] for i in ids)


def _summary_columns() -> Any:
    """SELECT of what a ScanSummary needs from `scans`, with its counts."""
    t = models.metadata.tables
    scans = t["scans"]

    def count(name: str) -> Any:
        table = t[name]
        return select(func.count()).where(table.c.scan_id == scans.c.id).scalar_subquery()

    return select(
        scans.c.id,
        scans.c.started_at,
        scans.c.status,
        count("components").label("components"),
        # the newest evaluation's findings only
        select(func.count())
        .where(
            t["findings"].c.scan_id == scans.c.id, t["findings"].c.evaluation == scans.c.evaluation
        )
        .scalar_subquery()
        .label("findings"),
    )


def _identities(conn: Connection, ids: Any) -> dict[str, list[str]]:
    """Target identities, in each scan's order, of the scans `ids` lists (ids or a query)."""
    t = models.metadata.tables
    st, tg = t["scan_targets"], t["targets"]
    targets: dict[str, list[str]] = {}
    for scan_id, identity in conn.execute(
        select(st.c.scan_id, tg.c.identity)
        .join(tg, tg.c.id == st.c.target_id)
        .where(st.c.scan_id.in_(ids))
        .order_by(st.c.scan_id, st.c.position)
    ):
        targets.setdefault(scan_id, []).append(identity)
    return targets


def _summary(row: Any, targets: dict[str, list[str]]) -> ScanSummary:
    return ScanSummary(
        id=row.id,
        started_at=row.started_at,
        status=codec.decode_enum(ScanStatus, row.status, row.id),
        targets=tuple(targets.get(row.id, ())),
        component_count=row.components,
        finding_count=row.findings,
    )


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; started_ts is always UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _newest_first(query: Any, target_identity: str | None) -> Any:
    """`query` over `scans`, restricted to one target's history, newest first."""
    t = models.metadata.tables
    scans, st, tg = t["scans"], t["scan_targets"], t["targets"]
    if target_identity is not None:
        query = query.where(
            scans.c.id.in_(
                select(st.c.scan_id)
                .join(tg, tg.c.id == st.c.target_id)
                .where(tg.c.identity == target_identity)
            )
        )
    # started_ts is NULL for a non-ISO started_at; those sort last, by their text.
    return query.order_by(
        scans.c.started_ts.desc().nulls_last(), scans.c.started_at.desc(), scans.c.id.desc()
    )


def _resolve_id(conn: Connection, scan_id: str) -> str:
    """The full id for an exact id or a unique prefix of at least MIN_PREFIX characters."""
    scans = models.metadata.tables["scans"]
    if conn.execute(select(scans.c.id).where(scans.c.id == scan_id)).scalar() is not None:
        return scan_id
    if len(scan_id) >= MIN_PREFIX:
        # substr, not LIKE: LIKE is case-insensitive on SQLite and treats % and _ specially.
        matches: list[str] = list(
            conn.execute(
                select(scans.c.id)
                .where(func.substr(scans.c.id, 1, len(scan_id)) == scan_id)
                .order_by(scans.c.id)
                .limit(3)
            )
            .scalars()
            .all()
        )
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(matches[:2]) + (" …" if len(matches) > 2 else "")
            raise StoreError(
                f"scan {scan_id}: ambiguous id prefix, matches {shown}",
                hint="give more characters of the scan id",
            )
    raise ScanNotFoundError(
        f"scan {scan_id}: not found",
        hint=f"`auditor history` lists stored scans; give a full id or at least {MIN_PREFIX}"
        " of its first characters",
    )


def _target_ids(conn: Connection, targets: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Row ids for these targets' identities, inserting new ones; safe when many scanners
    insert the same identity at once (the unique index arbitrates, losers do nothing)."""
    table = models.metadata.tables["targets"]
    first: dict[str, dict[str, Any]] = {}
    for target in targets:
        first.setdefault(target["identity"], target)
    if not first:
        return {}
    # Imported here: reading a scan never needs a dialect's insert (`show`/`why` start fast).
    from auditor.store.engine import dialect_insert

    # Sorted, so two transactions take the index locks in the same order and cannot deadlock.
    values = [
        {"identity": i, "kind": first[i]["kind"], "ref": first[i]["ref"]} for i in sorted(first)
    ]
    upsert = dialect_insert(conn, table).on_conflict_do_nothing(index_elements=["identity"])
    conn.execute(upsert, values)
    found = conn.execute(
        select(table.c.identity, table.c.id).where(table.c.identity.in_(sorted(first)))
    )
    return {row.identity: row.id for row in found}
