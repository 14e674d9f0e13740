"""Scan <-> plain row dicts: the one place that knows how the model maps onto the tables.

Kept free of SQLAlchemy so the mapping is plain data in, plain data out; `store` does the
I/O. Decoding is the exact inverse of encoding: `decode(encode(scan)) == scan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

import orjson

from auditor.errors import Diagnostic, StoreError
from auditor.model import (
    Action,
    Changed,
    Changes,
    Claim,
    Component,
    ComponentFile,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evaluation,
    Evidence,
    Finding,
    ListVersion,
    Location,
    Origin,
    OriginStatus,
    PublisherKind,
    Root,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)

Row = dict[str, Any]
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ScanRows:
    """One scan as rows, child rows in tuple order (without `scan_id`)."""

    scan: Row
    targets: list[Row] = field(default_factory=list)
    """`position`, `identity`, `kind`, `ref`, `digest`: the store resolves `identity`."""
    components: list[Row] = field(default_factory=list)
    origins: list[Row] = field(default_factory=list)
    dependencies: list[Row] = field(default_factory=list)
    findings: list[Row] = field(default_factory=list)
    diagnostics: list[Row] = field(default_factory=list)
    evaluations: list[Row] = field(default_factory=list)
    """The scan's own evaluation (number 1) when it recorded what it was judged against."""


def parse_time(text: str) -> datetime | None:
    """`text` as an aware UTC datetime for ordering, or None when it is not ISO 8601."""
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:  # the pipeline writes UTC; assume it for naive times
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        return None


def encode(scan: Scan) -> ScanRows:
    """The rows that store `scan`; StoreError if a string holds NUL (see `_reject_nul`).
    ValueError when `scan.evaluation` is a re-evaluation (`Store.save_evaluation` stores
    those): a new scan's findings are its evaluation 1."""
    if scan.evaluation is not None and scan.evaluation.number != 1:
        raise ValueError(
            f"scan {scan.id}: a new scan is evaluation 1, not {scan.evaluation.number}"
        )
    rows = ScanRows(
        scan={
            "id": scan.id,
            "started_at": scan.started_at,
            "started_ts": parse_time(scan.started_at),
            "finished_at": scan.finished_at,
            "status": str(scan.status),
            "tool_version": scan.tool_version,
            "policy_version": scan.policy_version,
            "host": scan.host,
            "extra": {},
            "changes": _changes(scan.changes),
        },
        targets=[
            {"position": i, "identity": t.identity, "kind": str(t.kind), "ref": t.ref}
            | {"digest": t.digest}
            for i, t in enumerate(scan.targets)
        ],
        components=[_component(i, c) for i, c in enumerate(scan.components)],
        origins=[_origin(i, o) for i, o in enumerate(scan.origins)],
        dependencies=[
            {"position": i, "source": d.source, "target": d.target, "kind": str(d.kind)}
            | {"scope": d.scope, "marker": d.marker}
            for i, d in enumerate(scan.dependencies)
        ],
        findings=[_finding(i, f) for i, f in enumerate(scan.findings)],
        diagnostics=[
            {"position": i, "location": d.location, "message": d.message}
            for i, d in enumerate(scan.diagnostics)
        ],
        evaluations=[_own_evaluation(scan)] if scan.evaluation is not None else [],
    )
    for part in fields(rows):
        _reject_nul(scan.id, part.name, getattr(rows, part.name))
    return rows


CHANGE_LISTS = ("added", "removed", "versions", "origins", "takeovers", "new_findings",
                "resolved_findings")  # fmt: skip
"""The `Changes` fields that are `Changed` lists, as the JSON document keys them."""


def _changes(changes: Changes | None) -> Row | None:
    """The `changes` column: counts and examples of each list, and the scan compared with."""
    if changes is None:
        return None
    doc: Row = {"previous": changes.previous, "previous_started_at": changes.previous_started_at}
    for name in CHANGE_LISTS:
        part: Changed = getattr(changes, name)
        doc[name] = {"count": part.count, "examples": list(part.examples)}
    return doc


def _decode_changes(doc: Mapping[str, Any] | None, scan_id: str) -> Changes | None:
    if doc is None:
        return None
    try:
        lists = {
            name: Changed(int(doc[name]["count"]), tuple(str(e) for e in doc[name]["examples"]))
            for name in CHANGE_LISTS
        }
        return Changes(doc["previous"], doc["previous_started_at"], **lists)
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"scan {scan_id}: unreadable change summary ({type(exc).__name__}: {exc})",
            hint="the scan was written by another origin-auditor version; upgrade this one",
        ) from exc


def reject_nul(scan_id: str, table: str, value: object) -> None:
    """StoreError when a text in `value` holds NUL (see `_reject_nul`)."""
    _reject_nul(scan_id, table, value)


def _reject_nul(scan_id: str, table: str, value: object) -> None:
    """PostgreSQL text and JSONB cannot hold U+0000, so no backend accepts it (same data,
    same outcome everywhere); no real name, path or message needs it."""
    # One pass in C first: JSON always escapes U+0000 as \u0000, so without that text
    # anywhere there is nothing to find (a literal backslash-u0000 only costs the walk).
    # orjson: ~5x the stdlib's speed over the rows of a 680-package scan.
    try:
        text = orjson.dumps(value, default=str)
    except (TypeError, ValueError):  # keys JSON cannot hold, too deep: walk instead
        text = b"\\u0000"
    if b"\\u0000" in text:
        _walk_nul(scan_id, table, value)


def _walk_nul(scan_id: str, table: str, value: object) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise StoreError(
                f"scan {scan_id!r}: {table}: a text value contains a NUL character",
                hint="NUL characters cannot be stored; this is a bug in whatever made the value",
            )
    elif isinstance(value, Mapping):
        for item in value.values():
            _walk_nul(scan_id, table, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_nul(scan_id, table, item)


def _evidence(items: Iterable[Evidence]) -> list[Row]:
    return [
        {"source": e.source, "field": e.field, "value": e.value, "where": e.where}
        | {"strength": str(e.strength), "retrieved_at": e.retrieved_at}
        for e in items
    ]


def _component(position: int, c: Component) -> Row:
    return {
        "position": position,
        "purl": c.purl,
        "kind": str(c.kind),
        "name": c.name,
        "version": c.version,
        "license": c.license,
        "direct": c.direct,
        "found_by": c.found_by,
        "hashes": list(c.hashes),
        "locations": [
            {"target": loc.target, "path": loc.path, "line": loc.line, "layer": loc.layer}
            for loc in c.locations
        ],
        "evidence": _evidence(c.evidence),
        "files": [
            {"path": f.path, "size": f.size, "sha256": f.sha256, "git_sha1": f.git_sha1}
            | {"location": f.location}
            for f in c.files
        ],
    }


def _origin(position: int, o: Origin) -> Row:
    row: Row = {"position": position, "purl": o.purl, "status": str(o.status)}
    row["reason"] = o.reason
    for name in ("publisher", "repository", "organisation", "country"):
        claim: Claim | None = getattr(o, name)
        row[f"{name}_value"] = None if claim is None else claim.value
        row[f"{name}_strength"] = None if claim is None else str(claim.strength)
    row["roots"] = [
        {"purl": r.purl, "relation": r.relation, "organisation": r.organisation}
        | {"country": r.country}
        | ({"strength": str(r.strength)} if r.strength else {})
        | ({"retrieved_at": r.retrieved_at} if r.retrieved_at else {})
        | ({"license": r.license} if r.license else {})
        for r in o.roots
    ]
    row["publisher_kind"] = None if o.publisher_kind is None else str(o.publisher_kind)
    row["conflicts"] = list(o.conflicts)
    row["evidence"] = _evidence(o.evidence)
    return row


def _finding(position: int, f: Finding) -> Row:
    return {
        "position": position,
        "rule": f.rule,
        "severity": str(f.severity),
        "action": str(f.action),
        "purl": f.purl,
        "message": f.message,
        "evidence": _evidence(f.evidence),
        "waiver": f.waiver,
    }


# --- decoding: rows come back as SQLAlchemy Rows; only attribute access is used ---------


def decode_enum(kind: type[E], value: str, scan_id: str) -> E:
    """A stored vocabulary value; a value this version does not know means a newer writer."""
    member: E | None = _members(kind).get(value)
    if member is not None:
        return member
    raise StoreError(
        f"scan {scan_id}: unknown {kind.__name__} value {value!r}",
        hint="the scan was written by a newer origin-auditor; upgrade this one",
    )


@cache
def _members(kind: type[E]) -> dict[str, E]:
    # A dict lookup, not kind(value): Enum's call path is ~10x slower, and a 100,000-
    # component scan decodes about 600,000 values.
    return {member.value: member for member in kind}


def _decode_evidence(items: Sequence[Mapping[str, Any]], scan_id: str) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            source=e["source"],
            field=e["field"],
            value=e["value"],
            where=e["where"],
            strength=decode_enum(Strength, e["strength"], scan_id),
            retrieved_at=e["retrieved_at"],
        )
        for e in items
    )


def _claim(value: str | None, strength: str | None, scan_id: str) -> Claim | None:
    if value is None or strength is None:
        return None
    return Claim(value, decode_enum(Strength, strength, scan_id))


def _root(r: dict[str, Any], scan_id: str) -> Root:
    strength = r.get("strength")
    return Root(
        r["purl"],
        r["relation"],
        r["organisation"],
        r["country"],
        decode_enum(Strength, strength, scan_id) if strength else None,
        r.get("retrieved_at"),
        r.get("license"),
    )


def decode_origin(o: Any, sid: str) -> Origin:
    """One origin row (or an `evaluation_origins` document read as attributes)."""
    return Origin(
        purl=o.purl,
        status=decode_enum(OriginStatus, o.status, sid),
        reason=o.reason,
        publisher=_claim(o.publisher_value, o.publisher_strength, sid),
        repository=_claim(o.repository_value, o.repository_strength, sid),
        organisation=_claim(o.organisation_value, o.organisation_strength, sid),
        country=_claim(o.country_value, o.country_strength, sid),
        roots=tuple(_root(r, sid) for r in o.roots),
        conflicts=tuple(o.conflicts),
        evidence=_decode_evidence(o.evidence or (), sid),
        publisher_kind=(
            decode_enum(PublisherKind, o.publisher_kind, sid) if o.publisher_kind else None
        ),
    )


def origin_row(position: int, origin: Origin) -> Row:
    """The row (as in `origins`) that stores `origin`: also the document of an
    `evaluation_origins` row."""
    return _origin(position, origin)


def finding_row(position: int, finding: Finding, evaluation: int) -> Row:
    """The `findings` row of one finding of evaluation `evaluation`."""
    return _finding(position, finding) | {"evaluation": evaluation}


def _own_evaluation(scan: Scan) -> Row:
    """The `evaluations` row of the scan's own evaluation, without `scan_id` (as every child
    row of `ScanRows`)."""
    assert scan.evaluation is not None
    row = evaluation_row(scan.id, scan.evaluation, scan.tool_version)
    del row["scan_id"]
    return row


def evaluation_row(scan_id: str, evaluation: Evaluation, tool_version: str) -> Row:
    """The `evaluations` row describing one evaluation (the scan's own, or a re-evaluation)."""
    return {
        "scan_id": scan_id,
        "number": evaluation.number,
        "evaluated_at": evaluation.evaluated_at,
        "tool_version": tool_version,
        "policy_version": evaluation.policy_version,
        "knowledge_base": evaluation.knowledge_base,
        "lists": [{"id": v.id, "version": v.version} for v in evaluation.lists],
        "new": evaluation.new,
        "cleared": evaluation.cleared,
    }


def decode_evaluation(row: Any) -> Evaluation:
    """An `evaluations` row."""
    try:
        lists = tuple(ListVersion(str(v["id"]), str(v["version"])) for v in row.lists)
    except (KeyError, TypeError) as exc:
        raise StoreError(
            f"scan {row.scan_id}: unreadable evaluation {row.number} ({exc})",
            hint="the scan was re-evaluated by another origin-auditor version; upgrade this one",
        ) from exc
    return Evaluation(
        number=row.number,
        evaluated_at=row.evaluated_at,
        knowledge_base=row.knowledge_base,
        lists=lists,
        policy_version=row.policy_version,
        new=row.new,
        cleared=row.cleared,
    )


def decode(
    scan: Any,
    targets: Iterable[Any],
    components: Iterable[Any],
    origins: Iterable[Any],
    dependencies: Iterable[Any],
    findings: Iterable[Any],
    diagnostics: Iterable[Any],
    evaluation: Evaluation | None = None,
) -> Scan:
    """The Scan that `encode` turned into these rows (each iterable in position order);
    `findings` and `origins` those of `evaluation` when it is a re-evaluation (`evaluation`
    number 1: the scan's own, as its row recorded it).

    A NULL list column (a summary load leaves them out) decodes as empty."""
    sid: str = scan.id
    return Scan(
        id=sid,
        started_at=scan.started_at,
        finished_at=scan.finished_at,
        status=decode_enum(ScanStatus, scan.status, sid),
        tool_version=scan.tool_version,
        # a re-evaluation's policy; the scan's own is the scan row's
        policy_version=evaluation.policy_version
        if evaluation is not None and evaluation.rescreened
        else scan.policy_version,
        host=scan.host,
        changes=_decode_changes(scan.changes, sid),
        evaluation=evaluation,
        targets=tuple(
            Target(t.ref, decode_enum(TargetKind, t.kind, sid), t.identity, t.digest)
            for t in targets
        ),
        components=tuple(
            Component(
                purl=c.purl,
                kind=decode_enum(ComponentKind, c.kind, sid),
                name=c.name,
                version=c.version,
                hashes=tuple(c.hashes or ()),
                license=c.license,
                locations=tuple(
                    Location(loc["target"], loc["path"], loc["line"], loc["layer"])
                    for loc in c.locations or ()
                ),
                direct=c.direct,
                evidence=_decode_evidence(c.evidence or (), sid),
                found_by=c.found_by,
                files=tuple(
                    ComponentFile(f["path"], f["size"], f["sha256"], f["git_sha1"], f["location"])
                    for f in c.files or ()
                ),
            )
            for c in components
        ),
        origins=tuple(decode_origin(o, sid) for o in origins),
        dependencies=tuple(
            Dependency(
                d.source, d.target, decode_enum(DependencyKind, d.kind, sid), d.scope, d.marker
            )
            for d in dependencies
        ),
        findings=tuple(
            Finding(
                rule=f.rule,
                severity=decode_enum(Severity, f.severity, sid),
                action=decode_enum(Action, f.action, sid),
                purl=f.purl,
                message=f.message,
                evidence=_decode_evidence(f.evidence or (), sid),
                waiver=f.waiver,
            )
            for f in findings
        ),
        diagnostics=tuple(Diagnostic(d.location, d.message) for d in diagnostics),
    )
