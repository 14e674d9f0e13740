"""Re-evaluating a stored scan without rescanning it (`auditor rescreen`, issue 34).

A screening list or the knowledge base changes far more often than the software scanned;
re-collecting and re-resolving hundreds of targets to pick up one new list entry would cost
hours of registry traffic. A stored scan keeps every component, the registry evidence behind
each origin and the findings the collectors and resolvers made, so what depends only on the
knowledge base and the policy can be decided again from it, offline:

1. attribution (`auditor.attribution.attribute_with_findings`, a function of a component, its
   origin's evidence and the knowledge base) is run again on each origin with the knowledge
   base's own earlier conclusions taken off: an organisation the knowledge base had named
   (and its country, `parent[...]` chain and publisher kind) is decided afresh, so a new
   organisation, a new parent or a removed entry shows. An organisation no knowledge-base
   evidence supports (an AI service's operator from rules/data) is kept, and only its
   parent chain is refreshed. Sibling links and the traced lineage roots follow, as in a scan;
2. the findings the policy stage made (data rules, waivers, `signature.required`, screening
   matches) are taken off and `auditor.pipeline.judge` runs again, with the current rules,
   settings and screening lists, on the findings collection and resolution made. Registry
   lookups are never repeated: known-vulnerability findings stay as the scan found them;
3. the result is a new `Evaluation` of the same scan (numbered; the old ones are kept),
   saying what it was judged against and how many findings are new or cleared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.config import Config, data_path
from auditor.model import (
    PARENT_FIELD,
    Evaluation,
    Finding,
    ListVersion,
    Origin,
    Scan,
)

if TYPE_CHECKING:
    from auditor.resolvers.publishers import KnowledgeBase

JUDGED = frozenset({"policy.waiver-expired", "signature.required", "origin.listed-entity"})
"""Built-in findings the policy stage itself makes (`judge`): made again, never kept."""
ATTRIBUTION_SOURCES = frozenset({"knowledge-base"})
"""Evidence sources whose steps attribution writes (taken off before it runs again)."""
ATTRIBUTION_FIELDS = frozenset({"publisher_kind", "sibling-package"})
"""Fields of `attribution` evidence it writes itself."""
INHERITED = "origin.inherited-metadata"


@dataclass(frozen=True, slots=True)
class Basis:
    """What an evaluation is judged against: the knowledge base's version and the lists."""

    knowledge_base: str
    lists: tuple[ListVersion, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One stored scan judged again."""

    before: Scan
    after: Scan
    new: tuple[Finding, ...]
    """In `after`, not in `before` (matched by rule, component and waiver state)."""
    cleared: tuple[Finding, ...]


def knowledge_base_version(path: Path | None = None) -> str:
    """`sha256:<16 hex>` of the knowledge base file (rules/publishers.yaml by default)."""
    source = path or Path(str(data_path("rules") / "publishers.yaml"))
    return "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def current_basis(lists_dir: Path | None = None) -> Basis:
    """The knowledge base and screening lists in force now (the shipped lists by default)."""
    from auditor.screening.lists import load_lists

    lists = tuple(ListVersion(s.id, s.version) for s in load_lists(lists_dir))
    return Basis(knowledge_base_version(), lists)


def reevaluate(
    scan: Scan,
    config: Config,
    basis: Basis,
    previous: Scan | None = None,
    kb: KnowledgeBase | None = None,
    now: str | None = None,
) -> Outcome:
    """`scan` (as stored, at its newest evaluation) judged again: the next evaluation.

    `previous` is what the scan was compared with (each target's scan before it), for the
    rules on changed origins. Nothing is fetched: `config` is used with `no_resolve` set.
    """
    from auditor.pipeline import judge, traced_roots
    from auditor.resolvers.publishers import load

    kb = kb or load()
    attributed, inherited = reattribute(scan, kb)
    kept = tuple(
        replace(f, waiver=None) if f.waiver else f
        for f in scan.findings
        if _made_before_judging(f) and f.rule != INHERITED
    )
    base = traced_roots(replace(attributed, findings=tuple(dict.fromkeys(kept + inherited))))
    judged = judge(base, replace(config, no_resolve=True), None, previous=previous)
    before_keys = {_key(f) for f in scan.findings}
    after_keys = {_key(f) for f in judged.findings}
    new = tuple(f for f in judged.findings if _key(f) not in before_keys)
    cleared = tuple(f for f in scan.findings if _key(f) not in after_keys)
    number = (scan.evaluation.number if scan.evaluation else 1) + 1
    evaluation = Evaluation(
        number=number,
        evaluated_at=now or _now(),
        knowledge_base=basis.knowledge_base,
        lists=basis.lists,
        policy_version=judged.policy_version,
        new=len(new),
        cleared=len(cleared),
    )
    after = replace(judged, evaluation=evaluation, status=scan.status)
    return Outcome(scan, after, new, cleared)


def reattribute(scan: Scan, kb: KnowledgeBase) -> tuple[Scan, tuple[Finding, ...]]:
    """Every origin attributed again from its stored evidence and `kb`, siblings linked;
    with the `origin.inherited-metadata` findings attribution now gives."""
    from auditor.attribution import attribute_with_findings
    from auditor.attribution.siblings import link_siblings

    by_purl = {c.purl: c for c in scan.components}
    origins: list[Origin] = []
    found: list[Finding] = []
    for origin in scan.origins:
        component = by_purl.get(origin.purl)
        if component is None:  # an origin without its component: nothing to attribute from
            origins.append(origin)
            continue
        again, inherited = attribute_with_findings(component, _unattributed(origin), kb)
        origins.append(again)
        found.extend(inherited)
    components = [by_purl[o.purl] for o in origins if o.purl in by_purl]
    if len(components) == len(origins):  # link_siblings pairs them one to one
        origins = link_siblings(components, origins)
    return replace(scan, origins=tuple(origins)), tuple(found)


def _unattributed(origin: Origin) -> Origin:
    """`origin` as resolution left it, before the knowledge base was asked: attribution's
    own evidence taken off, and the organisation and country when it had named them."""
    own = [e for e in origin.evidence if _attribution_step(e.source, e.field)]
    if not own:
        return origin
    evidence = tuple(e for e in origin.evidence if not _attribution_step(e.source, e.field))
    named = origin.organisation is not None and any(
        e.value == origin.organisation.value
        and (e.field.startswith("organisation[") or e.field == "sibling-package")
        for e in own
    )
    if origin.organisation is not None and not named:
        # Named by something else (an AI service's operator): kept; its chain is refreshed.
        return replace(origin, evidence=evidence)
    return replace(origin, organisation=None, country=None, publisher_kind=None,
                   evidence=evidence)  # fmt: skip


def _attribution_step(source: str, field: str) -> bool:
    if source in ATTRIBUTION_SOURCES:
        return True
    return source == "attribution" and (field in ATTRIBUTION_FIELDS or
                                        field.startswith(PARENT_FIELD))  # fmt: skip


def _made_before_judging(finding: Finding) -> bool:
    """A finding collection or resolution made (kept), not one the policy stage made."""
    from auditor.policy.builtin import rule

    if finding.rule in JUDGED:
        return False
    try:
        rule(finding.rule)
    except KeyError:  # a data rule's: the packs in force decide it again
        return False
    return True


def _key(finding: Finding) -> tuple[str, str, bool]:
    """What makes a finding the same one in two evaluations: a reworded message or a changed
    severity is not news; a waiver that lapsed is."""
    return finding.rule, finding.purl, finding.waiver is None


def select_previous(
    scan: Scan, older: Sequence[Scan]
) -> Scan | None:  # pragma: no cover - thin wrapper
    """What `scan` compares with: each target's newest of `older` (all started before it)."""
    from auditor.target_history import previous_scan

    by_identity = {}
    for candidate in older:
        for t in candidate.targets:
            by_identity.setdefault(t.identity, candidate)
    return previous_scan(scan.targets, by_identity.get)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
