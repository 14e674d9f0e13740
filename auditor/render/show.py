"""`auditor show`: one component, its origin and every piece of evidence behind it."""

from __future__ import annotations

import difflib

from auditor.errors import UsageError
from auditor.escape import terminal_safe
from auditor.graph.trace import SELF, Tracer, chain_text, rolled_up
from auditor.model import SELF_HOSTED_ROW, Claim, Component, Scan
from auditor.render.table import cell


def find_component(scan: Scan, query: str) -> Component:
    """The component whose purl is `query`, or the only one whose purl or name starts so."""
    exact = [c for c in scan.components if c.purl == query]
    if exact:
        return exact[0]
    lowered = query.lower()
    close = [
        c
        for c in scan.components
        if c.purl.lower().startswith(lowered) or c.name.lower() == lowered
    ]
    if len(close) == 1:
        return close[0]
    if close:
        listed = ", ".join(c.purl for c in close[:5])
        raise UsageError(f"{query}: matches {len(close)} components: {listed}",
                         hint="give the full purl")  # fmt: skip
    names = difflib.get_close_matches(query, [c.purl for c in scan.components], n=3)
    hint = f"did you mean {' or '.join(names)}?" if names else "`auditor report` lists them"
    raise UsageError(f"{query}: no such component in scan {scan.id}", hint=hint)


def component_report(scan: Scan, component: Component, tracer: Tracer | None = None) -> str:
    """Plain text: identity, where found, what it traces to, origin claims, conflicts,
    evidence, findings."""
    scan, component = terminal_safe((scan, component))  # metadata: one line each
    origin = scan.origins_by_purl().get(component.purl)
    lines = [
        component.purl,
        f"  kind {component.kind.value}, version {component.version or '(unpinned)'}, "
        f"direct {'unknown' if component.direct is None else component.direct}, "
        f"licence {cell(component.license or 'unknown')}",
        *(
            f"  found in {loc.target}: {loc.path}" + (f":{loc.line}" if loc.line else "")
            for loc in component.locations
        ),
        *(f"  hash {h}" for h in component.hashes),
    ]
    lines += trace_lines(tracer or Tracer(scan), component.purl)
    if origin is None:
        lines.append("  origin: not resolved")
        return "\n".join(lines) + "\n"
    lines.append(
        f"  origin: {origin.status.value}" + (f" ({cell(origin.reason)})" if origin.reason else "")
    )
    for label, claim in (
        ("publisher", origin.publisher),
        ("repository", origin.repository),
        ("organisation", origin.organisation),
        ("country", origin.country),
    ):
        lines.append(f"    {label:13} {_claim(claim)}")
    if origin.parents:  # the knowledge base's `parent` chain, nearest first
        chain = " -> ".join(cell(p.value) for p in origin.parents)
        lines.append(f"    {'part of':13} {chain}")
    kind = origin.publisher_kind.value if origin.publisher_kind else "unknown"
    lines.append(f"    {'publisher is':13} {kind}")
    lines += [f"    conflict: {cell(c, 200)}" for c in origin.conflicts]
    lines.append(f"  evidence ({len(origin.evidence)}):")
    lines += [
        f"    [{e.strength.value}] {e.source} {e.field} = {cell(e.value, 100)}  ({cell(e.where)}"
        + (f", {e.retrieved_at}" if e.retrieved_at else "")
        + ")"
        for e in origin.evidence
    ]
    findings = [f for f in scan.findings if f.purl == component.purl]
    lines.append(f"  findings ({len(findings)}):")
    lines += [
        f"    {f.severity.value} {f.rule}: {cell(f.message, 200)}"
        + (" (waived)" if f.waived else "")
        for f in findings
    ]
    return "\n".join(lines) + "\n"


def trace_lines(tracer: Tracer, purl: str) -> list[str]:
    """`traces to` lines: each root's organisation and country, strength, age and path."""
    lines = []
    origin = tracer.origin(purl)
    for s in tracer.trace(purl).sources:
        if rolled_up(s, "organisation", origin) == SELF_HOSTED_ROW:  # the roll-ups' own row
            lines.append(f"  traces to: {SELF_HOSTED_ROW} (the target's own endpoint, no operator)")
            continue
        who = f"{cell(s.organisation or 'organisation unknown')}, {s.country or 'country unknown'}"
        support = f" [{s.strength.value}" if s.strength else " [no evidence"
        support += f", registry answer fetched {s.retrieved_at}]" if s.retrieved_at else "]"
        lines.append(f"  traces to: {who}{support}")
        if s.relation != SELF and s.licence:
            lines.append(f"    root's licence {cell(s.licence)}")
        if s.path:
            lines.append(f"    via {cell(chain_text(s), 400)}")
    return lines


def _claim(claim: Claim | None) -> str:
    return "unknown" if claim is None else f"{cell(claim.value)} [{claim.strength.value}]"
