"""What the compliance attestation (`templates/attestation.html.j2`) states about one release
(one scan): the screening statement, every listed-entity match with its evidence, the
residual risk (origins not known), the models' lineage roots and the AI services' operators,
the waivers, and the fields a person signs.

Everything is a pure function of the scan and the screening lists, so the page a scan
renders to is the same at scan time and from the store later. The values are text as the
data holds it; the template escapes them (autoescape), nothing here makes markup.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from auditor.graph.trace import HUB, Tracer, unversioned
from auditor.model import (
    LIST_FIELD,
    SCREENING_SOURCE,
    Action,
    ComponentKind,
    Evidence,
    Finding,
    OriginStatus,
    PublisherKind,
    Scan,
    Severity,
)
from auditor.render.services_view import ServiceRow, service_rows
from auditor.screening.lists import ScreeningList
from auditor.unresolved import noun, registry_of, unresolved_groups

LISTED_ENTITY = "origin.listed-entity"
"""The screening check's rule (auditor/screening/check.py, rules/builtin.toml). A match's
evidence is `Evidence(source="screening", field="list:<list id>", value=<the entry as
published>, where=<the list's official URL>, strength=…)`, then the match path
(`match-path`) and the recorded `parent[...]` steps."""
MATCH_PATH = "match-path"
WAIVER_EXPIRED = "policy.waiver-expired"

_WAIVER = re.compile(
    r"^(?P<reason>.*) \(approved by (?P<approver>.*), until (?P<expires>[^)]*)\)$", re.S
)
"""`Waiver.describe()` (auditor/policy/settings.py): what a waived finding holds."""
COMMIT = re.compile(r"^[0-9a-f]{20,}$")
COMMIT_KEEP = 7
"""A version that is a commit id is cut to 7 characters (as git shortens), marked with …, in
compact lists; other versions are kept whole."""


@dataclass(frozen=True, slots=True)
class ListRow:
    """One screening list as the statement names it, with how many matches it gave."""

    id: str
    title: str
    authority: str
    version: str
    published: str
    scope: str
    source: str
    entries: int
    matches: int
    screened_version: str | None
    """The version the evaluation recorded screening against; None when it recorded none
    (a scan stored before its own evaluation was recorded) or did not hold this list."""
    not_screened: str | None
    """Why this version cannot be what the findings were screened against, or None: the
    evaluation recorded another version or no such list, or (nothing recorded) the version
    was published after the screening date. Re-screen to attest against it."""


@dataclass(frozen=True, slots=True)
class Match:
    """Components matching one list entry through the same path: the entry as published, the
    official source, the evidence strength, the path, and the rest of the evidence chain.
    Components of one publisher and organisation match alike: one row names them all."""

    purls: tuple[str, ...]
    list_id: str
    list_title: str
    entry: str
    source: str
    """The official URL the evidence names; the list table shows the list's own, so a row
    repeats it only when it differs (`source_differs`)."""
    source_differs: bool
    strength: str
    path: str
    """The recorded match path after the component (`→ publisher … → organisation … → parent
    …`), or the check's whole message when no path was recorded."""
    chain: tuple[str, ...]
    """The finding's other evidence, one line each (`source field: value (strength, where)`)."""
    severity: str
    action: str
    waiver: str | None


@dataclass(frozen=True, slots=True)
class Residual:
    """Components whose origin is not known for one reason (auditor.unresolved's groups)."""

    text: str
    count: int
    items: tuple[str, ...]
    """Compact names (`pypi/name@1.0`), in inventory order."""


@dataclass(frozen=True, slots=True)
class RootGroup:
    """Models that trace to one organisation and country, and the lineage roots there."""

    organisation: str
    country: str
    strength: str
    roots: tuple[str, ...]
    """The roots (`org/model@rev`); a model without lineage is its own root."""
    models: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WaiverRow:
    """One waiver as applied: rule, reason, approver, expiry, and the findings it covers."""

    rule: str
    reason: str
    approver: str
    expires: str
    components: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Screened:
    """When and by what the matches were found."""

    date: str
    """ISO date of the screening: the scan's, or its re-evaluation's."""
    evaluation: str | None = None
    """Which evaluation of the scan the findings are (`Evaluation.describe`: the scan's own,
    or a re-evaluation); None: the scan's own, stored before what it was screened against
    was recorded."""
    versions: dict[str, str] | None = None
    """List id -> the version that evaluation screened against; None: not recorded."""


@dataclass(frozen=True, slots=True)
class Attestation:
    """Everything the attestation states (see the module docstring)."""

    scan_id: str
    targets: tuple[tuple[str, str, str], ...]
    """(ref, kind, digest) of each target."""
    started_at: str
    tool_version: str
    policy_version: str | None
    screened: Screened
    components: int
    kinds: tuple[tuple[str, int], ...]
    direct: int
    lists: tuple[ListRow, ...]
    matches: tuple[Match, ...]
    unlisted_matches: int
    """Matches naming a list id the installed lists do not hold (an older or custom list)."""
    residual: tuple[Residual, ...]
    """Origin not known (`auditor.unresolved`'s groups)."""
    unattributed: tuple[Residual, ...]
    """Origin found, but no organisation anywhere in the component's trace: a list names
    organisations, so these could not be matched either."""
    models: int
    roots: tuple[RootGroup, ...]
    services: tuple[ServiceRow, ...]
    waivers: tuple[WaiverRow, ...]
    expired: tuple[Finding, ...]
    """`policy.waiver-expired` findings: waivers that no longer apply."""
    blocked: int
    """Findings that block the release (not waived)."""
    severities: tuple[tuple[str, int], ...]

    @property
    def matched(self) -> int:
        """Matches: (component, list entry) pairs."""
        return sum(len(m.purls) for m in self.matches)

    @property
    def unknown(self) -> int:
        """Components whose origin is not known."""
        return sum(r.count for r in self.residual)

    @property
    def unscreened(self) -> int:
        """Components no list could match: origin or organisation not known."""
        return self.unknown + sum(r.count for r in self.unattributed)


def screened(scan: Scan) -> Screened:
    """When, and against which list versions, the scan's findings were judged: as its
    evaluation recorded it (`Scan.evaluation`: the scan's own, or `auditor rescreen`'s), else
    (a scan stored before evaluation 1 was recorded) the scan's start, versions unknown."""
    e = scan.evaluation
    if e is None:
        return Screened(scan.started_at[:10])
    versions = {v.id: v.version for v in e.lists}
    return Screened(e.evaluated_at[:10], e.describe(scan.id), versions)


def _not_screened(s: ScreeningList, when: Screened) -> str | None:
    if when.versions is None:
        if s.published[:10] > when.date:
            return "published after the screening date: not screened against this version"
        return None
    recorded = when.versions.get(s.id)
    if recorded is None:
        return "not in force when screened: not screened against this list"
    if recorded != s.version:
        return f"screened against version {recorded}, not this one"
    return None


def attestation(scan: Scan, lists: tuple[ScreeningList, ...]) -> Attestation:
    """The attestation of `scan` against the screening lists `lists`."""
    when = screened(scan)
    matches = _matches(scan, {s.id: s for s in lists})
    per_list: Counter[str] = Counter()
    for m in matches:
        per_list[m.list_id] += len(m.purls)
    tracer = Tracer(scan)
    models = [c for c in scan.components if c.kind is ComponentKind.MODEL]
    return Attestation(
        scan_id=scan.id,
        targets=tuple((t.ref, t.kind.value, t.digest) for t in scan.targets),
        started_at=scan.started_at,
        tool_version=scan.tool_version,
        policy_version=scan.policy_version,
        screened=when,
        components=len(scan.components),
        kinds=tuple(Counter(c.kind.value for c in scan.components).most_common()),
        direct=sum(1 for c in scan.components if c.direct),
        lists=tuple(
            ListRow(
                s.id,
                s.title,
                s.authority,
                s.version,
                s.published,
                s.scope,
                s.source,
                len(s.entries),
                per_list[s.id],
                when.versions.get(s.id) if when.versions is not None else None,
                _not_screened(s, when),
            )
            for s in lists
        ),
        matches=matches,
        unlisted_matches=sum(
            len(m.purls) for m in matches if m.list_id not in {s.id for s in lists}
        ),
        residual=tuple(
            Residual(g.text(), g.count, tuple(compact(p) for p in g.purls))
            for g in unresolved_groups(scan)
        ),
        unattributed=_unattributed(scan, tracer),
        models=len(models),
        roots=_roots(tracer, [c.purl for c in models]),
        services=service_rows(scan, tracer),
        waivers=_waivers(scan.findings),
        expired=tuple(f for f in scan.findings if f.rule == WAIVER_EXPIRED),
        blocked=sum(1 for f in scan.findings if f.action is Action.BLOCK and not f.waived),
        severities=tuple(
            (s.value, n)
            for s in reversed(Severity)
            if (n := sum(1 for f in scan.findings if f.severity is s))
        ),
    )


def compact(purl: str) -> str:
    """A purl as a compact list shows it: `pkg:` dropped, a Hub model as `org/name@rev`, a
    commit id cut to COMMIT_KEEP characters (marked …), qualifiers dropped (the scan's JSON
    holds the whole purl)."""
    if purl.startswith(HUB):
        base = unversioned(purl)[len(HUB) :].partition("?")[0]
        version = purl.partition("@")[2].partition("?")[0]
    else:
        text = purl.removeprefix("pkg:").partition("?")[0].partition("#")[0]
        base, _, version = text.rpartition("@") if "@" in text else (text, "", "")
    if COMMIT.match(version):
        version = version[:COMMIT_KEEP] + "…"
    return f"{base}@{version}" if version else base


def _unattributed(scan: Scan, tracer: Tracer) -> tuple[Residual, ...]:
    """Resolved components with no organisation in their trace, by registry and why (people
    publishing in their own name, or none found); a self-hosted service is its operator's."""
    origins = scan.origins_by_purl()
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for c in scan.components:
        o = origins.get(c.purl)
        if o is None or o.status is not OriginStatus.RESOLVED:
            continue  # counted by auditor.unresolved
        if o.publisher_kind is PublisherKind.SELF_HOSTED:
            continue
        if any(s.organisation for s in tracer.trace(c.purl).sources):
            continue
        why = (
            "published by individual maintainers"
            if o.publisher_kind is PublisherKind.INDIVIDUAL
            else "no organisation found"
        )
        groups.setdefault((registry_of(c.purl), why), []).append((c.kind.value, c.purl))
    out = []
    for (registry, why), members in groups.items():
        kinds = Counter(kind for kind, _ in members).most_common()
        what = ", ".join(f"{n} {noun(kind, n)}" for kind, n in kinds)
        items = tuple(compact(p) for _, p in members)
        out.append(Residual(f"{what}: {registry}, {why}", len(members), items))
    return tuple(sorted(out, key=lambda r: (-r.count, r.text)))


def _matches(scan: Scan, lists: dict[str, ScreeningList]) -> tuple[Match, ...]:
    """One Match per list evidence and path, naming every component matched that way; by
    list, then entry, then first component."""
    rows: dict[Match, list[str]] = {}  # the row without its components -> them
    for f in scan.findings:
        if f.rule != LISTED_ENTITY:
            continue
        named: list[Evidence | None] = [e for e in f.evidence if _is_list(e.source, e.field)]
        recorded = next((e.value for e in f.evidence if _is_path(e.source, e.field)), None)
        path = f.message
        if recorded is not None:  # the component is the row's own: the path goes on from it
            path = recorded.removeprefix(f.purl).strip()
        chain = tuple(
            _said(e)
            for e in f.evidence
            if not _is_path(e.source, e.field) and not _is_list(e.source, e.field)
        )
        for e in named or [None]:
            list_id = e.field[len(LIST_FIELD) :] if e is not None else "unknown"
            known = lists.get(list_id)
            key = Match(
                purls=(),
                list_id=list_id,
                list_title=known.title if known else list_id,
                entry=e.value if e is not None else "(not recorded)",
                source=e.where if e is not None else "",
                source_differs=e is not None and (known is None or e.where != known.source),
                strength=e.strength.value if e is not None else "unknown",
                path=path,
                chain=chain,
                severity=f.severity.value,
                action=f.action.value,
                waiver=f.waiver,
            )
            rows.setdefault(key, []).append(f.purl)
    out = [replace(key, purls=tuple(dict.fromkeys(purls))) for key, purls in rows.items()]
    return tuple(sorted(out, key=lambda m: (m.list_id, m.entry, m.purls[0])))


def _said(e: Evidence) -> str:
    """One line of a match's evidence chain."""
    return f"{e.source} {e.field}: {e.value} ({e.strength.value}, {e.where})"


def _is_path(source: str, field: str) -> bool:
    return source == SCREENING_SOURCE and field == MATCH_PATH


def _is_list(source: str, field: str) -> bool:
    return source == SCREENING_SOURCE and field.startswith(LIST_FIELD)


def _roots(tracer: Tracer, models: list[str]) -> tuple[RootGroup, ...]:
    """Models grouped by the organisation and country of their lineage roots (a model with
    several roots counts under each); unknown last, then the largest group first."""
    groups: dict[tuple[str, str], tuple[dict[str, None], dict[str, None], Counter[str]]] = {}
    for purl in models:
        for s in tracer.trace(purl).sources:
            key = (s.organisation or "unknown", s.country or "unknown")
            roots, members, strengths = groups.setdefault(key, ({}, {}, Counter()))
            roots[compact(s.root)] = None
            members[compact(purl)] = None
            strengths[s.strength.value if s.strength else "unknown"] += 1
    out = [
        RootGroup(org, country, strengths.most_common(1)[0][0], tuple(roots), tuple(members))
        for (org, country), (roots, members, strengths) in groups.items()
    ]
    out.sort(key=lambda g: (g.organisation == "unknown", -len(g.models), g.organisation))
    return tuple(out)


def _waivers(findings: tuple[Finding, ...]) -> tuple[WaiverRow, ...]:
    """Waived findings by rule and waiver, in the order first met."""
    groups: dict[tuple[str, str], dict[str, None]] = {}
    for f in findings:
        if f.waiver is not None:
            groups.setdefault((f.rule, f.waiver), {})[compact(f.purl)] = None
    out = []
    for (rule, text), purls in groups.items():
        said = _WAIVER.match(text)
        reason, approver, expires = (
            (said["reason"], said["approver"], said["expires"])
            if said
            else (text, "not recorded", "not recorded")
        )
        out.append(WaiverRow(rule, reason, approver, expires, tuple(purls)))
    return tuple(sorted(out, key=lambda w: (w.expires, w.rule)))
