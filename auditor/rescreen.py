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
   evidence supports (an AI service's operator from rules/data) is kept as the scan named
   it, as a scan would name it again (the screening check follows its chain in the current
   knowledge base). Sibling links and the traced lineage roots follow, as in a scan;
2. the findings the policy stage made (data rules, waivers, `signature.required`, screening
   matches) are taken off and `auditor.pipeline.judge` runs again, with the current rules,
   settings and screening lists, on the findings collection and resolution made. Registry
   lookups are never repeated: known-vulnerability findings stay as the scan found them;
3. the result is a new `Evaluation` of the same scan (numbered; the old ones are kept),
   saying what it was judged against and how many findings are new or cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from auditor.config import Config
from auditor.model import PARENT_FIELD, Evaluation, Finding, Origin, Scan
from auditor.screening.basis import Basis, current_basis

if TYPE_CHECKING:
    from auditor.portfolio.db import StoreAccess
    from auditor.resolvers.publishers import KnowledgeBase
    from auditor.store import ScanSummary

JUDGED = frozenset({"policy.waiver-expired", "signature.required", "origin.listed-entity"})
"""Built-in findings the policy stage itself makes (`judge`): made again, never kept."""
ATTRIBUTION_SOURCES = frozenset({"knowledge-base"})
"""Evidence sources whose steps attribution writes (taken off before it runs again)."""
ATTRIBUTION_FIELDS = frozenset({"publisher_kind", "sibling-package"})
"""Fields of `attribution` evidence it writes itself."""
INHERITED = "origin.inherited-metadata"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One stored scan judged again."""

    before: Scan
    after: Scan
    new: tuple[Finding, ...]
    """In `after`, not in `before` (matched by rule, component and waiver state)."""
    cleared: tuple[Finding, ...]
    stored: bool = False
    """False when nothing differed from the newest evaluation, judged against the same
    knowledge base, lists and policy (no evaluation is added then)."""

    @property
    def unchanged(self) -> bool:
        """The same findings and origins as the evaluation before, on the same basis."""
        b, a = self.before, self.after
        assert a.evaluation is not None
        same_basis = b.evaluation is not None and (
            (b.evaluation.knowledge_base, b.evaluation.lists, b.evaluation.policy_version)
            == (a.evaluation.knowledge_base, a.evaluation.lists, a.evaluation.policy_version)
        )
        return same_basis and set(b.findings) == set(a.findings) and b.origins == a.origins


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
        # Named by something else (an AI service's operator): kept, as a scan names it.
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def choose(summaries: Sequence[ScanSummary], since: datetime | None) -> list[ScanSummary]:
    """Which stored scans (`summaries` newest first) a rescreen judges again: those started
    at or after `since`; without it, the newest scan of each target."""
    from auditor.store.codec import parse_time

    if since is not None:
        return [s for s in summaries if (t := parse_time(s.started_at)) is not None and t >= since]
    chosen: dict[str, ScanSummary] = {}
    seen: set[str] = set()
    for summary in summaries:
        fresh = [t for t in summary.targets if t not in seen]
        seen.update(summary.targets)
        if fresh:
            chosen.setdefault(summary.id, summary)
    return list(chosen.values())


def rescreen_stored(
    access: StoreAccess,
    config: Config,
    since: datetime | None = None,
    notice: Callable[[Outcome], None] | None = None,
    now: str | None = None,
) -> list[Outcome]:
    """Judge again the stored scans `choose` picks, store each changed result as the scan's
    next evaluation (portfolio roll-ups rewritten), and hand each outcome to `notice`."""
    from auditor.portfolio.index import rollup_rows, unindexed, write_rollup
    from auditor.resolvers.publishers import load
    from auditor.target_history import previous_scan

    store = access.store
    summaries = store.list_scans()
    basis = current_basis(config.screening_lists)
    kb = load()
    loaded: dict[str, Scan] = {}

    def scan_of(scan_id: str) -> Scan:
        if scan_id not in loaded:
            loaded[scan_id] = store.load_scan(scan_id)
        return loaded[scan_id]

    outcomes = []
    # Oldest first: a scan is compared with its target's previous scan as just re-evaluated.
    for summary in reversed(choose(summaries, since)):
        older = summaries[summaries.index(summary) + 1 :]

        def earlier(identity: str, older: Sequence[ScanSummary] = older) -> Scan | None:
            found = next((s for s in older if identity in s.targets), None)
            return scan_of(found.id) if found is not None else None

        scan = scan_of(summary.id)
        previous = previous_scan(scan.targets, earlier)  # what the scan was compared with
        outcome = reevaluate(scan, config, basis, previous, kb, now)
        if not outcome.unchanged:
            store.save_evaluation(outcome.after)
            outcome = replace(outcome, stored=True)
            loaded[summary.id] = outcome.after
            with access.begin() as conn:
                indexed = not unindexed(conn, [summary.id])
            if indexed:  # else the portfolio indexes it, at this evaluation, when asked
                rows = rollup_rows(outcome.after)
                with access.begin() as conn:
                    write_rollup(conn, rows, summary.id)
        outcomes.append(outcome)
        if notice is not None:
            notice(outcome)
    return outcomes[::-1]  # newest first, as `history` lists them
