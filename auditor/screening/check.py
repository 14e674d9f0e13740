"""`origin.listed-entity`: components that trace to a party on an official screening list.

A component matches when its own organisation, any organisation up that organisation's
ownership chain, or the organisation of any of its lineage roots (a base model's lab, an AI
service's `model-lab`) is one a list entry was matched to by hand. The chain is the knowledge
base's *current* `parent` chain (so a knowledge-base update counts when a stored scan is
judged again) together with the `parent[...]` steps recorded on the origin when it was
attributed (so a stored scan keeps the chain it was attributed with). Nothing is matched by
name similarity: only knowledge-base ids the list file names.

`screen(scan, lists, kb)` is pure and used the same way by `auditor.pipeline.judge` and by
whatever re-judges a stored scan; the policy (`[screening] block`) then sets the action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from auditor.model import MODEL_LAB, DependencyKind, Evidence, Finding, Scan, Strength
from auditor.resolvers.publishers import KnowledgeBase, Organisation, lineage
from auditor.screening.lists import LIST_FIELD, SOURCE, ListEntry, ScreeningList

RULE = "origin.listed-entity"
"""The built-in rule id (rules/builtin.toml)."""

PATH_FIELD = "match-path"
"""The evidence field holding the match path, `component → … → listed organisation`."""

ARROW = " → "


@dataclass(frozen=True, slots=True)
class Claimed:
    """One organisation a component traces to, and how."""

    name: str
    """The organisation's name as the origin (or root) records it."""
    strength: Strength
    """The strength of the claim that names it."""
    via: tuple[str, ...]
    """The steps from the component to the organisation (`publisher X`, `root Y` …)."""
    recorded: tuple[Evidence, ...] = ()
    """`parent[...]` steps recorded on the origin when it was attributed."""


@dataclass(frozen=True, slots=True)
class Listed:
    """One list entry a component matched, through one path."""

    screening: ScreeningList
    entry: ListEntry
    claimed: Claimed
    parents: tuple[Organisation, ...]
    """The parents from the claimed organisation up to the one the entry names, nearest
    first; () when the entry names the organisation itself."""
    steps: tuple[Evidence, ...]
    """The `parent[...]` evidence of those steps, when the origin recorded it."""

    @property
    def path(self) -> str:
        """component → publisher … → organisation … → parent …"""
        parts = [*self.claimed.via, f"organisation {self.claimed.name}"]
        parts += [f"parent {o.name}" for o in self.parents]
        return ARROW.join(parts)


def screen(scan: Scan, lists: Sequence[ScreeningList], kb: KnowledgeBase) -> tuple[Finding, ...]:
    """One `origin.listed-entity` finding per component and list entry it matches (the
    strongest path kept), with the rule's default severity and action."""
    index = _index(lists)
    if not index:
        return ()
    by_name = {o.name: o for o in kb.organisations}
    by_key = {o.key: o for o in kb.organisations}
    found: list[Finding] = []
    for purl, claims in _claims(scan):
        best: dict[tuple[str, str], Listed] = {}
        for claimed in claims:
            for listed in _matches(claimed, index, kb, by_name, by_key):
                key = (listed.screening.id, listed.entry.name)
                known = best.get(key)
                if known is None or listed.claimed.strength.rank > known.claimed.strength.rank:
                    best[key] = listed
        found.extend(_finding(purl, listed) for listed in best.values())
    return tuple(found)


def rescreened(scan: Scan, lists: Sequence[ScreeningList], kb: KnowledgeBase) -> Scan:
    """`scan` with its `origin.listed-entity` findings replaced by a fresh `screen` (a stored
    scan judged again against today's lists and knowledge base)."""
    kept = tuple(f for f in scan.findings if f.rule != RULE)
    return replace(scan, findings=kept + screen(scan, lists, kb))


def listed_ids(finding: Finding) -> tuple[str, ...]:
    """The list ids a finding names (`list:<id>` evidence fields)."""
    return tuple(
        e.field.removeprefix(LIST_FIELD)
        for e in finding.evidence
        if e.source == SOURCE and e.field.startswith(LIST_FIELD)
    )


def _index(lists: Iterable[ScreeningList]) -> dict[str, list[tuple[ScreeningList, ListEntry]]]:
    index: dict[str, list[tuple[ScreeningList, ListEntry]]] = {}
    for screening in lists:
        for entry in screening.entries:
            for key in entry.organisations:
                index.setdefault(key, []).append((screening, entry))
    return index


def _claims(scan: Scan) -> Iterable[tuple[str, list[Claimed]]]:
    """Each component with an organisation anywhere in its trace, and those organisations."""
    derived = {d.source for d in scan.dependencies if d.kind is DependencyKind.DERIVED_FROM}
    tracer = None
    for origin in scan.origins:
        claims: list[Claimed] = []
        if origin.organisation is not None:
            via: tuple[str, ...] = (origin.purl,)
            if origin.publisher is not None:
                via += (f"publisher {origin.publisher.value}",)
            org = origin.organisation
            claims.append(Claimed(org.value, org.strength, via, origin.parents))
        if origin.roots or origin.purl in derived:
            if tracer is None:  # only scans with lineage or services pay for the tracer
                from auditor.graph.trace import SELF, Tracer

                tracer = Tracer(scan)
            for source in tracer.trace(origin.purl).sources:
                if source.relation == SELF or not source.organisation:
                    continue
                role = "lab" if source.relation == MODEL_LAB else "lineage root"
                hops = tuple(h.parent for h in source.path[:-1])
                via = (origin.purl, *hops, f"{role} {source.root}")
                strength = source.strength or Strength.INFERRED
                claims.append(Claimed(source.organisation, strength, via))
        if claims:
            yield origin.purl, claims


def _matches(
    claimed: Claimed,
    index: dict[str, list[tuple[ScreeningList, ListEntry]]],
    kb: KnowledgeBase,
    by_name: dict[str, Organisation],
    by_key: dict[str, Organisation],
) -> Iterable[Listed]:
    """The entries the organisation, or one up its chain, is matched to."""
    org = by_name.get(claimed.name)
    # The knowledge base's chain as it is now (an update counts on re-screening) …
    chain = [by_key[k] for k in lineage(kb, org)] if org is not None else []
    # … and the steps recorded when the origin was attributed, in case the knowledge base
    # no longer names a parent it once did (or no longer knows the organisation).
    for step in claimed.recorded:
        parent = by_name.get(step.value)
        if parent is not None and parent not in chain:
            chain.append(parent)
    for depth, step_org in enumerate(chain):
        for screening, entry in index.get(step_org.key, ()):
            parents = tuple(chain[1 : depth + 1] if org is not None else chain[: depth + 1])
            cited = tuple(e for e in claimed.recorded if by_name.get(e.value) in parents)
            yield Listed(screening, entry, claimed, parents, cited)


def _finding(purl: str, listed: Listed) -> Finding:
    from auditor.policy.builtin import finding

    screening, entry, claimed = listed.screening, listed.entry, listed.claimed
    message = (
        f"listed on {screening.title} ({screening.id}, {screening.version}) as"
        f" {entry.name!r}: {listed.path}; the organisation claim is {claimed.strength.value}"
    )
    evidence = (
        Evidence(
            SOURCE,
            f"{LIST_FIELD}{screening.id}",
            entry.name,
            screening.source,
            claimed.strength,
            screening.published,
        ),
        Evidence(SOURCE, PATH_FIELD, listed.path, purl, claimed.strength),
        *listed.steps,
    )
    return finding(RULE, purl, message, evidence)
