"""`--format table`: the human summary printed by `auditor scan`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from auditor.escape import terminal, terminal_safe
from auditor.model import (
    Action,
    Component,
    ComponentKind,
    Finding,
    Origin,
    Scan,
    Severity,
    Strength,
)
from auditor.render import Renderer
from auditor.render.layout import (
    BLOCK_STYLE,
    BOLD,
    SEVERITY_STYLE,
    Column,
    fit,
    fold,
    join,
    pack,
    paint,
    row_text,
    wrap,
)
from auditor.render.rollup import FACETS, UNKNOWN, Rollup, origin_rollup

if TYPE_CHECKING:
    from auditor.graph.trace import Source, Tracer

MAX_CELL = 60
WIDTH = 80
"""The width laid out for when the caller names none (a file, a CI log)."""
INVENTORY = (
    Column("NAME", minimum=16),
    Column("VERSION", minimum=10),
    Column("KIND"),
    Column("DIRECT"),
    Column("ORIGIN"),
    Column("FOUND IN", minimum=12, keep_end=True),
)
FINDING_COLUMNS = (
    Column("SEVERITY"),
    Column("RULE"),  # a rule id is looked up whole: never cut
    Column("COMPONENT", minimum=24),  # name@version: cut after the organisation is
    Column("ORG (COUNTRY)", minimum=13, keep_suffix=" ("),
)
MESSAGE_INDENT = 10
"""The message sits under the rule, past the severity column (`critical` and two spaces)."""
MESSAGE_WIDTH = 120
"""Messages wrap at this width on a wider screen: lines past it are hard to read."""
TOP_COUNTRIES = 5


class TableRenderer(Renderer):
    """Plain text laid out for a terminal `width` wide, coloured by severity when asked;
    readable in a terminal and in CI logs."""

    name: ClassVar[str] = "table"

    def __init__(
        self,
        min_severity: Severity = Severity.LOW,
        width: int = WIDTH,
        colour: bool = False,
        verdict: str | None = None,
    ) -> None:
        self.min_severity = min_severity
        """Findings below it are counted in the summary, not listed (`--min-severity`)."""
        self.width = width
        self.colour = colour
        self.verdict = verdict
        """What the exit status means (`exit 1: …`), closing a fresh scan's summary line."""

    def listing(self, min_severity: Severity) -> TableRenderer:
        """The table listing findings from `min_severity` up."""
        return TableRenderer(min_severity, self.width, self.colour, self.verdict)

    def render(self, scan: Scan) -> str:
        """Header, component table, findings, lineage, origins, diagnostics, and one closing
        line with the counts that matter."""
        from auditor.graph.trace import Tracer

        scan = terminal_safe(scan)  # metadata: every value one safe terminal line
        tracer = Tracer(scan)
        rollup = origin_rollup(scan, tracer)
        out = [
            self._bold(f"scan {scan.id}  {scan.status.value}  {scan.started_at}"),
            *(f"target {t.ref} ({t.kind.value}) {t.digest}" for t in scan.targets),
            # a re-evaluation (`auditor rescreen`): say which, and against what
            *(
                [scan.evaluation.describe(scan.id)]
                if scan.evaluation and scan.evaluation.rescreened
                else []
            ),
            "",
        ]
        out += self._inventory(scan)
        kinds = Counter(c.kind.value for c in scan.components)
        direct = sum(1 for c in scan.components if c.direct)
        counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        out += [
            "",
            *pack(
                [
                    f"{len(scan.components)} components ({counted})",
                    f"{direct} direct",
                    f"{len(scan.dependencies)} dependency edges",
                ],
                self.width,
            ),
        ]
        listed = [f for f in scan.findings if f.severity.rank >= self.min_severity.rank]
        if listed:
            out += ["", self._bold("FINDINGS")]
            out += self._findings(scan, listed, tracer)
        if len(listed) < len(scan.findings):
            out += ["", _hidden(len(scan.findings) - len(listed), self.min_severity)]
        out += _lineage(scan, tracer)
        out += _rollup(rollup, self.width)
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
        out += ["", *(self._bold(line) for line in self._summary(scan, rollup))]
        return "\n".join(fold(out, self.width)) + "\n"

    def _bold(self, line: str) -> str:
        # A bold line too long for the screen is folded plain (`layout.fold`).
        return paint(line, BOLD, self.colour)

    def _inventory(self, scan: Scan) -> list[str]:
        origins = scan.origins_by_purl()
        rows: list[tuple[str, ...]] = [
            (
                terminal(c.name),
                terminal(_version(c.version))
                if c.version
                else ("-" if c.kind is ComponentKind.SERVICE else "(unpinned)"),
                c.kind.value,
                _direct(c),
                origins[c.purl].status.value if c.purl in origins else "-",
                terminal(_where(c)),
            )
            for c in scan.components
        ]
        shown: tuple[Column, ...] = INVENTORY
        widths = fit(shown, rows, self.width)
        if rows and widths[0] < max(len(r[0]) for r in rows):
            # Names cut to make room for paths: the name is what a reader looks for, and
            # `auditor show` (or a wider screen) gives every location.
            shown, rows = INVENTORY[:-1], [r[:-1] for r in rows]
            widths = fit(shown, rows, self.width)
        plain = (None,) * len(shown)
        header = [c.header for c in shown]
        return [
            join(header, widths, (BOLD,) * len(shown), self.colour),
            *(join(row_text(r, widths, shown), widths, plain, self.colour) for r in rows),
        ]

    def _findings(self, scan: Scan, listed: list[Finding], tracer: Tracer) -> list[str]:
        """Severity, rule, component (name@version), organisation (country) from the one
        roll-up every view uses; the message wrapped under the row, never cut mid-word."""
        components = {c.purl: c for c in scan.components}
        origins = scan.origins_by_purl()
        ordered = sorted(listed, key=lambda f: (-f.severity.rank, f.rule, f.purl))
        rows = [
            (
                f.severity.value,
                f.rule,
                _component(components.get(f.purl), f.purl),
                _who(tracer, origins, components.get(f.purl)),
            )
            for f in ordered
        ]
        widths = fit(FINDING_COLUMNS, rows, self.width)
        header = [c.header for c in FINDING_COLUMNS]
        out = [join(header, widths, (BOLD,) * len(header), self.colour)]
        for f, row in zip(ordered, rows, strict=True):
            styles = (SEVERITY_STYLE[f.severity], None, None, None)
            out.append(join(row_text(row, widths, FINDING_COLUMNS), widths, styles, self.colour))
            action = _action(f)
            message = f"{action}: {terminal(f.message)}" if action else terminal(f.message)
            lines = wrap(message, min(self.width, MESSAGE_WIDTH), MESSAGE_INDENT)
            if action and f.action is Action.BLOCK and not f.waived:
                first = lines[0]
                at = first.index(action)
                lines[0] = (
                    first[:at] + paint(action, BLOCK_STYLE, self.colour) + first[at + len(action) :]
                )
            out += lines
        return out

    def _summary(self, scan: Scan, rollup: Rollup) -> list[str]:
        """`82 components; countries: US 40, CN 12 …; exit 1: 2 findings blocked by
        policy`: one line, broken between its parts when the screen is narrower."""
        countries = dict(rollup.facets).get("country", ())
        shown = ", ".join(f"{c.value} {c.total}" for c in countries[:TOP_COUNTRIES])
        more = f", +{len(countries) - TOP_COUNTRIES} more" if len(countries) > TOP_COUNTRIES else ""
        blocked = sum(1 for f in scan.findings if f.action is Action.BLOCK and not f.waived)
        parts = [f"{len(scan.components)} components"]
        if shown:
            parts.append(f"countries: {shown}{more}")
        # A fresh scan's verdict says what is blocked; a stored one's report counts it.
        parts.append(self.verdict or f"{blocked} finding{'' if blocked == 1 else 's'} blocked")
        return pack(parts, self.width, "; ", 2)


def _action(f: Finding) -> str:
    """`block`, `warn`, `waived block`…: what the finding asks (nothing for a report)."""
    if f.action is Action.REPORT:
        return "waived" if f.waived else ""
    return f"waived {f.action.value}" if f.waived else f.action.value


def _version(version: str) -> str:
    """A 40-hex revision (a Hub commit) as git shows it short; any other version as it is."""
    return version[:7] if re.fullmatch(r"[0-9a-f]{40}", version) else version


def _component(c: Component | None, purl: str) -> str:
    """`name@version`, not the whole purl: what a reader recognises; a finding on no
    component of the scan names its purl, shortened."""
    if c is None:
        return terminal(_short(purl)) if purl else "-"
    return terminal(f"{c.name}@{_version(c.version)}" if c.version else c.name)


def _who(tracer: Tracer, origins: dict[str, Origin], c: Component | None) -> str:
    """`Meta (US)`: the organisation and country `auditor.render.rollup` counts this
    component under (the one answer every view gives), `unknown` without evidence."""
    if c is None:
        return ""
    trace = tracer.trace(c.purl)
    orgs = [v for v in FACETS["organisation"](trace, origins.get(c.purl)) if v]
    countries = [v for v in FACETS["country"](trace, origins.get(c.purl)) if v]
    who = terminal(orgs[0]) + (f" +{len(orgs) - 1}" if len(orgs) > 1 else "") if orgs else ""
    where = terminal("/".join(countries)) if countries else ""
    if who and where:
        return f"{who} ({where})"
    return who or (f"({where})" if where else UNKNOWN)


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


def _lineage(scan: Scan, tracer: Tracer) -> list[str]:
    """Each derived model, whose weights it really is: root, organisation, country, and
    the path there (auditor.graph.trace), one short line each so 80 columns read well."""
    from auditor.graph.trace import SELF

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


def _rollup(rollup: Rollup, width: int) -> list[str]:
    """Where things come from, at a glance: statuses, strengths, top values per facet;
    a long line breaks between values, never inside one."""
    by_status = ", ".join(f"{n} {s}" for s, n in rollup.statuses)
    by_strength = ", ".join(f"{n} {s}" for s, n in rollup.strengths)
    lines = ["", *pack([f"ORIGINS {by_status}", f"repository {by_strength}"], width, "; ")]
    for facet, counts in rollup.facets:
        shown = [
            f"{cell(c.value, 40)} {c.total}" + (f" ({c.models} models)" if c.models else "")
            for c in counts[:8]
        ]
        shown += [f"+{len(counts) - 8} more"] if len(counts) > 8 else []
        if not shown:  # an empty scan: the facet named, with nothing to count
            lines.append(f"  by {facet}:")
            continue
        shown[0] = f"  by {facet}: {shown[0]}"
        lines += pack(shown, width, ", ", 6)
    return lines
