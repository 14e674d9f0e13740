"""The answer a report leads with, in sentences: what runs, from which organisations and
countries (models and their lineage roots named), what is blocked and why, why origins are
not known, and what changed since the previous scan.

The HTML report's first page and the Markdown comment's opening say exactly these sentences.
Countries and organisations are the roll-up every view gives (`auditor.render.rollup` over
`auditor.graph.trace`); unresolved origins are `auditor.unresolved`'s groups; the change is
the summary the scan kept when it was made (`Scan.changes`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auditor.graph.trace import SELF, Trace, Tracer, repo_id
from auditor.model import Action, Changed, Changes, Component, Finding, Scan
from auditor.render.rollup import MODEL_KINDS, UNKNOWN, Count, Rollup, origin_rollup
from auditor.render.services_view import ServiceRow, service_rows
from auditor.unresolved import Unresolved, noun, unresolved_groups

TOP = 5
"""Countries and organisations named in a sentence; the rest are counted."""
MODELS_NAMED = 6
"""Models called out by name, most important first (blocked, derived, direct)."""


@dataclass(frozen=True, slots=True)
class ModelLine:
    """One model and whose weights it carries."""

    purl: str
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The report's opening sentences, and the models and groups they name."""

    runs: str
    origins: str
    models: tuple[ModelLine, ...]
    more_models: int
    blocked: str
    blocked_rules: tuple[str, ...]
    partial: str
    unresolved: tuple[Unresolved, ...]
    changes: str
    change_lines: tuple[str, ...]
    services: str = ""
    """One sentence on the hosted AI services the code calls, by provider; empty when none."""


def answer(scan: Scan, tracer: Tracer | None = None, rollup: Rollup | None = None) -> Answer:
    """The answer for `scan` (pass the view's tracer and roll-up to reuse them)."""
    tracer = tracer or Tracer(scan)
    rollup = rollup or origin_rollup(scan, tracer)
    facets = dict(rollup.facets)
    groups = unresolved_groups(scan)
    models, more = important_models(scan, tracer)
    blocked = [f for f in scan.findings if f.action is Action.BLOCK and not f.waived]
    return Answer(
        runs=_runs(scan),
        origins=_origins(facets.get("country", ()), facets.get("organisation", ())),
        models=tuple(_model_line(c, tracer.trace(c.purl)) for c in models),
        more_models=more,
        blocked=_blocked(blocked),
        blocked_rules=_blocked_rules(blocked),
        partial=_partial(scan, groups),
        unresolved=groups,
        changes=_changes(scan.changes),
        change_lines=_change_lines(scan.changes),
        services=services_sentence(service_rows(scan, tracer)),
    )


def services_sentence(rows: tuple[ServiceRow, ...]) -> str:
    """`The code calls 3 AI services of 2 providers: deepseek (2; <operator>, CN), …`: each
    provider with its operator and country (the roll-up's), most used first; self-hosted
    endpoints are named as such, never given an operator."""
    if not rows:
        return ""
    by_provider: dict[str, list[ServiceRow]] = {}
    for row in rows:
        by_provider.setdefault(row.provider, []).append(row)
    ordered = sorted(by_provider.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    parts = []
    for provider, members in ordered[:TOP]:
        first = members[0]
        if first.publisher_kind == "self-hosted":
            parts.append(f"{provider} ({len(members)}, no outside operator)")
            continue
        who = ", ".join(v for v in (first.operator, first.country) if v) or "operator unknown"
        parts.append(f"{provider} ({len(members)}; {who})")
    rest = ordered[TOP:]
    if rest:
        parts.append(f"{len(rest)} more ({sum(len(m) for _, m in rest)})")
    return (
        f"The code calls {_plural(len(rows), 'AI service')} of "
        f"{_plural(len(by_provider), 'provider')}: {', '.join(parts)}."
    )


def important_models(scan: Scan, tracer: Tracer) -> tuple[list[Component], int]:
    """Models, datasets and weights, most important first: blocked, then derived (lineage to
    name), then direct; the first MODELS_NAMED, and how many more there are."""
    blocked = {f.purl for f in scan.findings if f.action is Action.BLOCK and not f.waived}
    models = [c for c in scan.components if c.kind in MODEL_KINDS]
    models.sort(
        key=lambda c: (
            c.purl not in blocked,
            not tracer.trace(c.purl).derived,
            c.direct is not True,
            c.name,
        )
    )
    return models[:MODELS_NAMED], max(0, len(models) - MODELS_NAMED)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _runs(scan: Scan) -> str:
    kinds = Counter(c.kind.value for c in scan.components)
    where = ", ".join(t.ref for t in scan.targets) or "no target"
    if not scan.components:
        return f"Nothing was found to run in {where}."
    parts = ", ".join(f"{n} {noun(k, n)}" for k, n in kinds.most_common())
    direct = sum(1 for c in scan.components if c.direct)
    return (
        f"What runs in {where}: {_plural(len(scan.components), 'component')} ({parts}); "
        f"{direct} of them {'is' if direct == 1 else 'are'} asked for directly."
    )


def _named(counts: tuple[Count, ...]) -> str:
    named = [c for c in counts if c.value != UNKNOWN]
    shown = [
        f"{c.value} ({c.total}" + (f", {_plural(c.models, 'model')})" if c.models else ")")
        for c in named[:TOP]
    ]
    rest = named[TOP:]
    if rest:
        shown.append(f"{len(rest)} more ({sum(c.total for c in rest)})")
    return ", ".join(shown)


def _origins(countries: tuple[Count, ...], organisations: tuple[Count, ...]) -> str:
    known = [c for c in countries if c.value != UNKNOWN]
    unknown = sum(c.total for c in countries if c.value == UNKNOWN)
    if not known:
        return "No component's country of origin is known" + (
            f" ({unknown} unknown)." if unknown else "."
        )
    orgs = [c for c in organisations if c.value != UNKNOWN]
    text = f"By country of origin: {_named(countries)}"
    if orgs:
        text += f"; by organisation: {_named(organisations)}"
    if unknown:
        verb = "traces" if unknown == 1 else "trace"
        text += f"; {_plural(unknown, 'component')} {verb} to no known country"
    text += ". A derived model counts under its lineage roots' organisation and country"
    if any(c.services for c in countries):  # auditor.graph.trace: operator and model lab
        text += ", a hosted AI service under both its operator's and its model lab's"
    return text + "."


def _model_line(c: Component, trace: Trace) -> ModelLine:
    parts = []
    for s in trace.sources:
        who = s.organisation or "organisation unknown"
        where = s.country or "country unknown"
        if s.relation == SELF:
            parts.append(f"{who}, {where}")
            continue
        root = f"lineage root {repo_id(s.root)}"
        if s.licence:
            root += f" (licence {s.licence})"
        parts.append(f"{who}, {where}, through its {root}")
    text = "; ".join(parts) or "origin unknown"
    return ModelLine(c.purl, c.name, text)


def _blocked(blocked: list[Finding]) -> str:
    if not blocked:
        return "Nothing is blocked."
    rules = Counter(f.rule for f in blocked)
    return (
        f"{_plural(len(blocked), 'finding')} on "
        f"{_plural(len({f.purl for f in blocked}), 'component')} "
        f"{'blocks' if len(blocked) == 1 else 'block'} this run, under "
        f"{_plural(len(rules), 'rule')}:"
    )


def _blocked_rules(blocked: list[Finding]) -> tuple[str, ...]:
    """`model.unvetted (1): <first message>` per rule, most findings first."""
    by_rule: dict[str, list[Finding]] = {}
    for f in blocked:
        by_rule.setdefault(f.rule, []).append(f)
    ordered = sorted(by_rule.items(), key=lambda kv: (-max(f.severity.rank for f in kv[1]),
                                                      -len(kv[1]), kv[0]))  # fmt: skip
    return tuple(f"{rule} ({len(fs)}): {fs[0].message}" for rule, fs in ordered)


def _partial(scan: Scan, groups: tuple[Unresolved, ...]) -> str:
    unresolved = sum(g.count for g in groups)
    unreachable = sum(g.count for g in groups if g.status == "unreachable")
    status = f"The scan is {scan.status.value}"
    if scan.status.value == "partial":
        why = []
        if unreachable:
            why.append(f"{_plural(unreachable, 'origin')} could not be looked up")
        if scan.diagnostics:
            why.append(f"{_plural(len(scan.diagnostics), 'input')} could not be read fully")
        status += " because " + " and ".join(why) if why else ""
    if not unresolved:
        return status + "; every component's origin was resolved."
    return f"{status}; {_plural(unresolved, 'origin')} not resolved:"


def _changes(changes: Changes | None) -> str:
    if changes is None:
        return "No earlier scan was consulted, so no change is reported."
    if changes.previous is None:
        return "This is the first stored scan of this target: there is nothing to compare with."
    when = (changes.previous_started_at or "")[:16].replace("T", " ")
    head = f"Since the previous scan of this target ({changes.previous[:8]}, {when} UTC)"
    if not _change_items(changes):
        return head + ": nothing changed."
    return head + ":"


def _change_items(changes: Changes) -> list[tuple[str, Changed]]:
    items = [
        ("component(s) added", changes.added),
        ("component(s) removed", changes.removed),
        ("version change(s)", changes.versions),
        ("origin claim(s) changed", changes.origins),
        ("new finding(s)", changes.new_findings),
        ("finding(s) resolved", changes.resolved_findings),
    ]
    return [(label, part) for label, part in items if part.count]


def _change_lines(changes: Changes | None) -> tuple[str, ...]:
    if changes is None or changes.previous is None:
        return ()
    lines = []
    for label, part in _change_items(changes):
        text = f"{part.count} {label}"
        if part is changes.origins and changes.takeovers.count:
            text += f", {changes.takeovers.count} of them a takeover signal (known value replaced)"
        examples = "; ".join(part.examples)
        more = part.count - len(part.examples)
        lines.append(f"{text}: {examples}" + (f" and {more} more" if more > 0 else ""))
    return tuple(lines)
