"""`--format table`: the human summary printed by `auditor scan`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from auditor.escape import terminal, terminal_safe
from auditor.model import Component, Scan, Severity, Strength
from auditor.render import Renderer
from auditor.render.rollup import origin_rollup

if TYPE_CHECKING:
    from auditor.graph.trace import Source

MAX_CELL = 60


class TableRenderer(Renderer):
    """Plain text, aligned columns; readable in a terminal and in CI logs."""

    name: ClassVar[str] = "table"

    def __init__(self, min_severity: Severity = Severity.LOW) -> None:
        self.min_severity = min_severity
        """Findings below it are counted in the summary, not listed (`--min-severity`)."""

    def listing(self, min_severity: Severity) -> TableRenderer:
        """The table listing findings from `min_severity` up."""
        return TableRenderer(min_severity)

    def render(self, scan: Scan) -> str:
        """Header, component table, findings, diagnostics, and the counts that matter."""
        scan = terminal_safe(scan)  # metadata: every value one safe terminal line
        origins = scan.origins_by_purl()
        out = [
            f"scan {scan.id}  {scan.status.value}  {scan.started_at}",
            *(f"target {t.ref} ({t.kind.value}) {t.digest}" for t in scan.targets),
            "",
        ]
        rows = [
            (
                cell(c.name),
                cell(c.version or "(unpinned)"),
                c.kind.value,
                _direct(c),
                origins[c.purl].status.value if c.purl in origins else "-",
                cell(_where(c)),
            )
            for c in scan.components
        ]
        out += columns(("NAME", "VERSION", "KIND", "DIRECT", "ORIGIN", "FOUND IN"), rows)
        kinds = Counter(c.kind.value for c in scan.components)
        direct = sum(1 for c in scan.components if c.direct)
        out += [
            "",
            f"{len(scan.components)} components ("
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            + f"), {direct} direct, {len(scan.dependencies)} dependency edges",
        ]
        listed = [f for f in scan.findings if f.severity.rank >= self.min_severity.rank]
        if listed:
            out += ["", "FINDINGS"]
            out += columns(
                ("SEVERITY", "ACTION", "RULE", "COMPONENT", "MESSAGE"),
                [
                    (
                        f.severity.value,
                        f.action.value + (" (waived)" if f.waived else ""),
                        f.rule,
                        cell(f.purl),
                        cell(f.message, 100),
                    )
                    for f in sorted(listed, key=lambda f: -f.severity.rank)
                ],
            )
        if len(listed) < len(scan.findings):
            out += ["", _hidden(len(scan.findings) - len(listed), self.min_severity)]
        out += _lineage(scan)
        out += _rollup(scan)
        severities = Counter(f.severity.value for f in scan.findings)
        out.append(
            f"{len(scan.findings)} findings"
            + (
                " (" + ", ".join(f"{n} {s}" for s, n in severities.most_common()) + ")"
                if severities
                else ""
            )
        )
        out.append(f"{len(scan.diagnostics)} diagnostics")
        out += [f"  {cell(str(d), 200)}" for d in scan.diagnostics]
        return "\n".join(out) + "\n"


def _hidden(count: int, level: Severity) -> str:
    return (
        f"{count} finding(s) below {level.value} not listed"
        " (--min-severity info lists every one; JSON and SARIF always carry them)"
    )


def _direct(c: Component) -> str:
    return "-" if c.direct is None else ("yes" if c.direct else "no")


def _where(c: Component) -> str:
    if not c.locations:
        return ""
    first = c.locations[0]
    where = first.path + (f":{first.line}" if first.line else "")
    return where + (f" (+{len(c.locations) - 1})" if len(c.locations) > 1 else "")


def cell(text: str, width: int = MAX_CELL) -> str:
    """Terminal-safe and at most `width` long: metadata is untrusted, and control
    characters could rewrite the reader's terminal."""
    text = terminal(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def columns(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns two spaces apart, header first."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def _lineage(scan: Scan) -> list[str]:
    """Each derived model, whose weights it really is: root, organisation, country, and
    the path there (auditor.graph.trace), one short line each so 80 columns read well."""
    from auditor.graph.trace import SELF, Tracer

    tracer = Tracer(scan)
    lines: list[str] = []
    for c in scan.components:
        for source in tracer.trace(c.purl).sources:
            if source.relation == SELF:
                continue
            who = source.organisation or "organisation unknown"
            support = source.strength.value if source.strength else "no evidence"
            if source.retrieved_at:
                support += f", fetched {source.retrieved_at[:10]}"
            lines += [
                f"  {cell(c.name, 76)}",
                f"    traces to {cell(who, 50)}, {source.country or 'country unknown'} [{support}]",
                *_hops(source),
            ]
    return ["", "MODEL LINEAGE (whose weights they are)", *lines] if lines else []


def _hops(source: Source) -> list[str]:
    """The path, one hop a line (Hub ids without the purl prefix and the 40-hex revision),
    so a three-hop lineage reads at 80 columns."""
    lines = [f"    via {cell(_short(source.path[0].child), 72)}"]
    for hop in source.path:
        label = hop.relation or "derived"
        if hop.strength is not Strength.REGISTRY:
            label += f", {hop.strength.value}"
        lines.append(f"        -{label}-> {cell(_short(hop.parent), 60)}")
    return lines


def _short(purl: str) -> str:
    return re.sub(r"@[0-9a-f]{40}", "", purl.replace("pkg:huggingface/", ""))


def _rollup(scan: Scan) -> list[str]:
    """Where things come from, at a glance: statuses, strengths, top values per facet."""
    rollup = origin_rollup(scan)
    by_status = ", ".join(f"{n} {s}" for s, n in rollup.statuses)
    by_strength = ", ".join(f"{n} {s}" for s, n in rollup.strengths)
    lines = ["", f"ORIGINS {by_status}; repository {by_strength}"]
    for facet, counts in rollup.facets:
        shown = ", ".join(
            f"{cell(c.value, 40)} {c.total}" + (f" ({c.models} models)" if c.models else "")
            for c in counts[:8]
        )
        more = f", +{len(counts) - 8} more" if len(counts) > 8 else ""
        lines.append(f"  by {facet}: {shown}{more}")
    return lines
