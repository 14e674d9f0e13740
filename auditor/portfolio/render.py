"""Portfolio answers as a terminal table, Markdown or JSON (auditor/schema/portfolio-v1.json,
fields named in docs/json.md). Metadata values are escaped for where they go."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from auditor.escape import markdown, terminal
from auditor.portfolio.queries import FindingHit, Group, Hit

FORMATS = ("table", "markdown", "json")
COUNTS = ("targets", "total", "direct", "transitive", "packages", "models")


def _group_json(g: Group) -> dict[str, Any]:
    return {
        "value": g.value,
        "targets": g.targets,
        "total": g.components,
        "direct": g.direct,
        "transitive": g.transitive,
        "packages": g.packages,
        "models": g.models,
    }


def _doc(question: str, as_of: datetime | None, targets: int, **fields: Any) -> str:
    doc = {
        "schema_version": 1,
        "question": question,
        "as_of": None if as_of is None else as_of.isoformat(),
        "targets": targets,
        **fields,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> list[str]:
    """Aligned columns (table) or a Markdown table, cells escaped for it."""
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(markdown(c) for c in row) + " |" for row in rows]
        return lines
    cells = [list(header), *([terminal(c) for c in row] for row in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]


def _value(value: str | None) -> str:
    return "unknown" if value is None else value


def origins(
    groups: Sequence[Group], by: str, targets: int, as_of: datetime | None, fmt: str
) -> str:
    """`portfolio origins --by BY`."""
    if fmt == "json":
        return _doc("origins", as_of, targets, by=by, groups=[_group_json(g) for g in groups])
    header = (by.upper(), *(c.upper() for c in COUNTS))
    rows = [
        (_value(g.value), *(str(n) for n in (g.targets, g.components, g.direct,
                                              g.transitive, g.packages, g.models)))
        for g in groups
    ]  # fmt: skip
    title = f"Origins by {by} across {targets} targets" + _when(as_of)
    lines = [f"## {title}" if fmt == "markdown" else title, ""]
    lines += _table(header, rows, fmt)
    lines += ["", "TOTAL counts a component once per target it is in; one may trace to several "
              "values."]  # fmt: skip
    return "\n".join(lines) + "\n"


def where(
    pattern: str, hits: Sequence[Hit], more: int, targets: int, as_of: datetime | None, fmt: str
) -> str:
    """`portfolio where PATTERN`."""
    found_in = len({h.target for h in hits})
    if fmt == "json":
        matches = [
            {
                "target": h.target,
                "scan": h.scan_id,
                "purl": h.purl,
                "version": h.version,
                "paths": list(h.paths),
            }
            for h in hits
        ]
        return _doc("where", as_of, targets, pattern=pattern, matches=matches, more=more)
    title = f"{pattern}: in {found_in} of {targets} targets" + _when(as_of)
    lines = [f"## {markdown(title)}" if fmt == "markdown" else terminal(title), ""]
    rows = [(h.target, h.purl, ", ".join(h.paths)) for h in hits]
    lines += _table(("TARGET", "COMPONENT", "PATHS"), rows, fmt) if hits else ["(nowhere)"]
    if more:
        lines.append(f"… and {more} more (narrow the pattern)")
    return "\n".join(lines) + "\n"


def findings(
    rule: str, hits: Sequence[FindingHit], targets: int, as_of: datetime | None, fmt: str
) -> str:
    """`portfolio findings --rule RULE`."""
    if fmt == "json":
        rows_json = [
            {
                "target": h.target,
                "scan": h.scan_id,
                "rule": h.rule,
                "severity": h.severity,
                "action": h.action,
                "purl": h.purl,
                "message": h.message,
                "waived": h.waived,
                "evaluation": h.evaluation,
            }
            for h in hits
        ]
        return _doc("findings", as_of, targets, rule=rule, findings=rows_json)
    found_in = len({h.target for h in hits})
    noun = "finding" if len(hits) == 1 else "findings"
    title = f"{rule}: {len(hits)} {noun} in {found_in} of {targets} targets" + _when(as_of)
    lines = [f"## {markdown(title)}" if fmt == "markdown" else terminal(title), ""]
    rows = [
        (_evaluated(h), h.severity + (" (waived)" if h.waived else ""), h.purl, h.message)
        for h in hits
    ]
    lines += (
        _table(("TARGET", "SEVERITY", "COMPONENT", "MESSAGE"), rows, fmt) if hits else ["(none)"]
    )
    return "\n".join(lines) + "\n"


def _evaluated(hit: FindingHit) -> str:
    """The target, and which evaluation of its scan answers when it was re-screened."""
    return hit.target if hit.evaluation == 1 else f"{hit.target} (evaluation {hit.evaluation})"


Point = tuple[datetime, int, Sequence[Group]]


def trend(by: str, points: Sequence[Point], fmt: str) -> str:
    """`portfolio trend --by BY --since AGE`: each point's totals per value."""
    if fmt == "json":
        doc = {
            "schema_version": 1,
            "question": "trend",
            "by": by,
            "points": [
                {"as_of": at.isoformat(), "targets": n, "groups": [_group_json(g) for g in gs]}
                for at, n, gs in points
            ],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    values = _ordered_values(points)
    header = (by.upper(), *(at.date().isoformat() for at, _, _ in points))
    rows = [(_value(v), *(str(_total(gs, v)) for _, _, gs in points)) for v in values]
    rows.append(("(targets)", *(str(n) for _, n, _ in points)))
    title = f"Components by {by}, latest scan of each target at each date"
    lines = [f"## {title}" if fmt == "markdown" else title, ""]
    lines += _table(header, rows, fmt)
    return "\n".join(lines) + "\n"


def _ordered_values(points: Sequence[Point]) -> list[str | None]:
    """Every value seen, by its total at the last point, unknown last."""
    last: dict[str | None, int] = {}
    for _, _, groups in points:
        for g in groups:
            last[g.value] = g.components
    return sorted(last, key=lambda v: (v is None, -last[v], v or ""))


def _total(groups: Sequence[Group], value: str | None) -> int:
    return next((g.components for g in groups if g.value == value), 0)


def _when(as_of: datetime | None) -> str:
    return "" if as_of is None else f" (as of {as_of.isoformat(timespec='seconds')})"
