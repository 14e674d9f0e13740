"""Evaluation: the policy's rules over a scan, built-in findings re-stamped, waivers applied.

`load_policy(settings)` reads the packs once; `evaluate(scan, policy, previous, today)` is a
pure function of its arguments (the clock is a parameter, so waivers are testable).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from auditor.bulk import no_cyclic_gc
from auditor.config import data_path
from auditor.model import (
    LIST_FIELD,
    SCREENING_SOURCE,
    Action,
    Component,
    Finding,
    Origin,
    Scan,
    Severity,
)
from auditor.policy.builtin import finding as builtin_finding
from auditor.policy.builtin import rule as builtin_rule
from auditor.policy.rules import Override, Pack, Rule, read_pack, walk
from auditor.policy.settings import PolicySettings, Waiver, default_names
from auditor.policy.subject import Context, Subject, versionless
from auditor.policy.yamlnodes import PolicyError, load_shipped_yaml

WAIVER_EXPIRED = "policy.waiver-expired"
LICENCES_FILE = "restrictive-licences.yaml"


@dataclass(frozen=True, slots=True)
class Policy:
    """Settings and packs, checked against each other; ready to evaluate."""

    settings: PolicySettings
    packs: tuple[Pack, ...]
    rules: tuple[Rule, ...]
    """Enabled data rules, with the configuration's severity and action applied."""
    overrides: tuple[Override, ...]
    names: dict[str, object]
    version: str
    """sha256 over every pack and setting: equal versions judge alike (Scan.policy_version)."""

    def stamp(
        self, rule_id: str, severity: Severity, action: Action
    ) -> tuple[Severity, Action] | None:
        """A built-in rule's severity and action after packs and configuration; None when
        the rule is disabled."""
        if any(fnmatch.fnmatchcase(rule_id, p) for p in self.settings.disable):
            return None
        for override in self.overrides:
            if fnmatch.fnmatchcase(rule_id, override.pattern):
                severity = override.severity or severity
                action = override.action or action
        return _configured(self.settings, rule_id, severity, action)

    def remediation(self, rule_id: str) -> str:
        """How to fix what the rule found (data rules and built-in overrides)."""
        for r in self.rules:
            if r.id == rule_id:
                return r.remediation
        found = ""
        for override in self.overrides:
            if fnmatch.fnmatchcase(rule_id, override.pattern) and override.remediation:
                found = override.remediation
        return found


def _configured(
    settings: PolicySettings, rule_id: str, severity: Severity, action: Action
) -> tuple[Severity, Action]:
    for pattern, value in settings.severity.items():
        if fnmatch.fnmatchcase(rule_id, pattern):
            severity = value
    for pattern, act in settings.action.items():
        if fnmatch.fnmatchcase(rule_id, pattern):
            action = act
    # A scanned target's own file under an explicit policy: it may only raise.
    for pattern, value in settings.raise_severity.items():
        if fnmatch.fnmatchcase(rule_id, pattern) and value.rank > severity.rank:
            severity = value
    order = list(Action)
    for pattern, act in settings.raise_action.items():
        if fnmatch.fnmatchcase(rule_id, pattern) and order.index(act) > order.index(action):
            action = act
    return severity, action


def pack_path(name: str) -> Path:
    """A shipped pack's file (`default` -> rules/default.yaml), or the path itself."""
    if "/" in name or name.endswith((".yaml", ".yml")):
        return Path(name)
    return Path(str(data_path("rules") / f"{name}.yaml"))


def restrictive_licences() -> list[str]:
    """The licence ids of rules/data/restrictive-licences.yaml (each with its source)."""
    source = data_path("rules") / "data" / LICENCES_FILE
    doc = load_shipped_yaml(source.read_text(encoding="utf-8"), f"rules/data/{LICENCES_FILE}")
    plain = doc.plain() if doc is not None else {}
    entries = plain.get("licences", []) if isinstance(plain, dict) else []
    ids = [str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e]
    # A Hub licence that is no SPDX id reaches a component as `LicenseRef-<id>` (licences.py).
    return ids + [f"LicenseRef-{i}" for i in ids if not i.startswith("LicenseRef-")]


def load_policy(settings: PolicySettings | None = None) -> Policy:
    """Read and check every pack; PolicyError listing every problem."""
    settings = settings or PolicySettings()
    names = {**default_names(), "restrictive_licences": restrictive_licences(), **settings.names}
    packs: list[Pack] = []
    errors: list[PolicyError] = []
    shipped = Path(str(data_path("rules"))).resolve()
    for path in dict.fromkeys(pack_path(name).resolve() for name in settings.packs):
        if not path.is_file():
            errors.append(
                PolicyError(str(path), None, "no such rule pack (a shipped pack name or YAML file)")
            )
            continue
        pack, problems = read_pack(path, shipped=path.parent == shipped)
        errors.extend(problems)
        if pack is not None:
            packs.append(pack)
    seen: dict[str, str] = {}
    known = "known: " + ", ".join(sorted(names))
    for pack in packs:
        for r in pack.rules:
            if r.id in seen:
                file, _, line = r.where.rpartition(":")
                errors.append(
                    PolicyError(file, int(line), f"rule {r.id} is already defined at {seen[r.id]}")
                )
            seen[r.id] = r.where
            errors.extend(
                operand.node.error(f"${operand.name}: no such list or setting ({known})")
                for predicate in walk(r.when)
                for operand in predicate.names()
                if operand.name not in names
            )
    if errors:
        raise PolicyError(
            errors[0].file,
            errors[0].line,
            errors[0].reason + "".join(f"\n{e.message}" for e in errors[1:]),
        )
    rules = []
    for pack in packs:
        for r in pack.rules:
            if any(fnmatch.fnmatchcase(r.id, p) for p in settings.disable):
                continue
            severity, action = _configured(settings, r.id, r.severity, r.action)
            rules.append(replace(r, severity=severity, action=action))
    digest = hashlib.sha256()
    for pack in packs:
        digest.update(Path(pack.file).read_bytes())
    digest.update(
        repr(
            (
                settings.packs,
                settings.disable,
                settings.severity,
                settings.action,
                sorted(names.items(), key=str),
                settings.waivers,
                settings.raise_severity,
                settings.raise_action,
            )
        ).encode()
    )
    if settings.screening_block:  # only then: the versions of policies without it stay put
        digest.update(repr(("screening.block", settings.screening_block)).encode())
    return Policy(
        settings=settings,
        packs=tuple(packs),
        rules=tuple(rules),
        overrides=tuple(o for p in packs for o in p.overrides),
        names=names,
        version="sha256:" + digest.hexdigest()[:16],
    )


def today_utc() -> date:
    """The evaluation date when the caller gives none."""
    return datetime.now(UTC).date()


def evaluate(
    scan: Scan,
    policy: Policy,
    previous: Scan | None = None,
    today: date | None = None,
    vetting_required: bool = False,
) -> Scan:
    """`scan` with every finding judged: built-in findings re-stamped (or dropped when
    disabled), data rules' findings added, waivers applied, expired waivers reported.

    A rule with `report_only_unless` only reports while those lists are empty, so that a
    scan of a team with no vetting configured does not fail; `vetting_required` (the
    pre-commit hook) lets such rules act all the same: no list, nothing is vetted."""
    today = today or today_utc()
    stamped = tuple(_blocked(_restamp(scan.findings, policy), policy.settings.screening_block))
    context = Context(
        names=policy.names,
        today=today,
        previous=previous_by_purl(previous, scan),
        graph=lambda: _graph(scan),
        findings=_rule_ids(scan.findings),
        origins=scan.origins_by_purl(),
    )
    found = list(stamped)
    with no_cyclic_gc():  # ~100,000 new findings, no cycles: rescans would cost a third
        found.extend(
            _data_findings(
                scan.components, scan.origins_by_purl(), policy, context, vetting_required
            )
        )
        judged = list(_waive(found, policy.settings.waivers, today))
    judged.extend(_expired(policy.settings.waivers, today, policy))
    return replace(scan, findings=tuple(dict.fromkeys(judged)), policy_version=policy.version)


def _graph(scan: Scan):  # type: ignore[no-untyped-def]
    from auditor.graph import ProvenanceGraph

    return ProvenanceGraph.from_scan(scan)


def _rule_ids(findings: Iterable[Finding]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.purl, []).append(f.rule)
    return {k: tuple(v) for k, v in out.items()}


def previous_by_purl(previous: Scan | None, scan: Scan) -> dict[str, Origin]:
    """Each component of `scan` -> the previous scan's origin it is compared with: the same
    purl; else, when each scan holds a single version of the package, that version (an
    upgrade). A lockfile holding `debug@3` and `debug@4` never compares one with the other."""
    if previous is None:
        return {}
    before = {o.purl: o for o in previous.origins}
    versions_before = Counter(versionless(p) for p in before)
    versions_now = Counter(versionless(c.purl) for c in scan.components)
    single_before = {versionless(p): o for p, o in before.items()}
    out: dict[str, Origin] = {}
    for component in scan.components:
        found = before.get(component.purl)
        key = versionless(component.purl)
        if found is None and versions_before[key] == 1 and versions_now[key] == 1:
            found = single_before[key]
        if found is not None:
            out[component.purl] = found
    return out


def _restamp(findings: Iterable[Finding], policy: Policy) -> Iterable[Finding]:
    for f in findings:
        try:
            default = builtin_rule(f.rule)
            severity, action = default.severity, default.action
        except KeyError:  # a finding loaded from an older scan or made by a data rule
            severity, action = f.severity, f.action
        judged = policy.stamp(f.rule, severity, action)
        if judged is None:
            continue
        yield (
            f
            if judged == (f.severity, f.action)
            else replace(f, severity=judged[0], action=judged[1])
        )


def _blocked(findings: Iterable[Finding], block: tuple[str, ...]) -> Iterable[Finding]:
    """`[screening] block`: a screening match on one of those lists takes the action block
    (after the configured action: the list's block is what the configuration asked for)."""
    for f in findings:
        if block and any(
            e.source == SCREENING_SOURCE and e.field.removeprefix(LIST_FIELD) in block
            for e in f.evidence
            if e.field.startswith(LIST_FIELD)
        ):
            yield replace(f, action=Action.BLOCK)
        else:
            yield f


def _data_findings(
    components: Iterable[Component],
    origins: dict[str, Origin],
    policy: Policy,
    context: Context,
    vetting_required: bool = False,
) -> Iterable[Finding]:
    rules = policy.rules
    report_only = {
        r.id: all(not context.text_set(n) for n in r.report_only_unless)
        for r in rules
        if r.report_only_unless and not vetting_required
    }
    by_kind: dict[tuple[str, str], tuple[Rule, ...]] = {}
    for component in components:
        eco = component.purl[4:].partition("/")[0]
        key = (component.kind.value, eco)
        applicable = by_kind.get(key)
        if applicable is None:
            applicable = by_kind[key] = tuple(r for r in rules if r.applies(*key))
        if not applicable:
            continue
        origin = origins.get(component.purl)
        subject = Subject(component, origin, context)
        for r in applicable:
            if not r.when.test(subject):
                continue
            action = Action.REPORT if report_only.get(r.id) else r.action
            evidence = origin.evidence if origin is not None else component.evidence
            yield Finding(r.id, r.severity, action, component.purl, r.render(subject), evidence)


def _waive(
    findings: Iterable[Finding], waivers: tuple[Waiver, ...], today: date
) -> Iterable[Finding]:
    live = [w for w in waivers if not w.expired(today)]
    for f in findings:
        waiver = next((w for w in live if w.matches(f)), None) if live else None
        yield f if waiver is None else replace(f, waiver=waiver.describe())


def _expired(waivers: tuple[Waiver, ...], today: date, policy: Policy) -> Iterable[Finding]:
    for w in waivers:
        if not w.expired(today):
            continue
        made = builtin_finding(
            WAIVER_EXPIRED,
            w.purl,
            f"the waiver of {w.rule} for {w.purl} expired on {w.expires.isoformat()} "
            f"({w.reason}; approved by {w.approver}; {w.source}): matching findings count again",
        )
        judged = policy.stamp(made.rule, made.severity, made.action)
        if judged is not None:
            yield replace(made, severity=judged[0], action=judged[1])
