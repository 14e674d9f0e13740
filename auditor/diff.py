"""What changed between two scans: components, origins and findings (`auditor diff`).

A pure function of two Scans. Decisions callers can rely on:
- Components are matched by *identity*: the purl without its version (type, namespace,
  name, qualifiers, subpath). One version on each side is a version change (upgraded or
  downgraded when both versions parse as PEP 440, else `changed`); anything else is the
  versions that left (`removed`) and those that arrived (`added`).
- Origin changes compare the four claims (publisher, repository, organisation, country) of
  components present on both sides. A value that appears (None -> X) is `newly known`; one
  that disappears is `no longer known`; a value replaced by another (X -> Y) is flagged as
  a takeover signal.
- Findings are matched by (rule, component identity), so an upgrade that keeps a problem
  does not report it as new, and a reworded message is the same finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum, unique
from functools import lru_cache

from packageurl import PackageURL
from packaging.version import InvalidVersion, Version

from auditor.model import Finding, Origin, Scan

ORIGIN_FIELDS = ("publisher", "repository", "organisation", "country")


@unique
class Change(StrEnum):
    """How a component's version moved."""

    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    CHANGED = "changed"
    """Versions differ but do not both parse, so no order can be told."""


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """A component on one side of a diff."""

    purl: str
    name: str
    version: str | None


@dataclass(frozen=True, slots=True)
class VersionChange:
    """One component identity whose single version differs between the scans."""

    identity: str
    name: str
    old: str | None
    new: str | None
    change: Change
    old_purl: str
    new_purl: str


@dataclass(frozen=True, slots=True)
class OriginChange:
    """One origin claim of one component that differs between the scans."""

    identity: str
    purl: str
    """The component's purl in the newer scan."""
    field: str
    """publisher, repository, organisation or country."""
    old: str | None
    new: str | None

    @property
    def takeover(self) -> bool:
        """A known value replaced by another: who controls the component may have changed."""
        return self.old is not None and self.new is not None

    @property
    def kind(self) -> str:
        """`changed`, `newly known` or `no longer known`."""
        if self.takeover:
            return "changed"
        return "newly known" if self.old is None else "no longer known"


@dataclass(frozen=True, slots=True)
class FindingRef:
    """A finding on one side of a diff."""

    rule: str
    severity: str
    action: str
    purl: str
    message: str
    waived: bool


@dataclass(frozen=True, slots=True)
class ScanDiff:
    """Everything that changed from scan `old_id` to scan `new_id` (old is None: no earlier)."""

    old_id: str | None
    new_id: str
    added: tuple[ComponentRef, ...]
    removed: tuple[ComponentRef, ...]
    changed: tuple[VersionChange, ...]
    origin_changes: tuple[OriginChange, ...]
    new_findings: tuple[FindingRef, ...]
    resolved_findings: tuple[FindingRef, ...]

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.origin_changes
            or self.new_findings
            or self.resolved_findings
        )

    @property
    def takeovers(self) -> tuple[OriginChange, ...]:
        """The origin changes that are takeover signals."""
        return tuple(c for c in self.origin_changes if c.takeover)


_PLAIN = re.compile(r"(pkg:[a-z0-9.+-]+/[a-z0-9.~-]+(?:/[a-z0-9.~-]+)*)(?:@[^?#]*)?")
"""A purl packageurl would write back as it is, up to its version (lower-case letters, digits
and `.~-` only: nothing it would fold, encode or, for PyPI, rewrite), with no qualifiers or
subpath: its identity is the part before `@`."""


@lru_cache(maxsize=65536)  # every scan's change summary asks it of each component and finding
def identity(purl: str) -> str:
    """The purl without its version; an unparsable purl is its own identity minus `@…`."""
    if (plain := _PLAIN.fullmatch(purl)) is not None:
        return plain.group(1)  # parsing 20,000 purls with packageurl costs about a second
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        at = purl.rfind("@")
        return purl[:at] if at > purl.rfind("/") else purl
    return str(
        PackageURL(
            type=p.type,
            namespace=p.namespace,
            name=p.name,
            qualifiers=p.qualifiers,
            subpath=p.subpath,
        ).to_string()
    )


def direction(old: str | None, new: str | None) -> Change:
    """Upgraded or downgraded by PEP 440 order when both versions parse, else changed."""
    if old is None or new is None:
        return Change.CHANGED
    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return Change.CHANGED
    if a == b:  # `1.0` and `1.0.0`: equal to PEP 440, different to the lockfile
        return Change.CHANGED
    return Change.UPGRADED if b > a else Change.DOWNGRADED


def diff_scans(old: Scan | None, new: Scan) -> ScanDiff:
    """What changed from `old` to `new`; with no `old`, everything in `new` is added."""
    before = _by_identity(old)
    after = _by_identity(new)
    old_origins = old.origins_by_purl() if old is not None else {}
    new_origins = new.origins_by_purl()
    added: list[ComponentRef] = []
    removed: list[ComponentRef] = []
    changed: list[VersionChange] = []
    origin_changes: list[OriginChange] = []
    for ident in sorted(before.keys() | after.keys()):
        was, now = before.get(ident, {}), after.get(ident, {})
        gone = [r for p, r in was.items() if p not in now]
        came = [r for p, r in now.items() if p not in was]
        if len(gone) == 1 and len(came) == 1:
            a, b = gone[0], came[0]
            change = direction(a.version, b.version)
            changed.append(
                VersionChange(ident, b.name, a.version, b.version, change, a.purl, b.purl)
            )
        else:
            removed += gone
            added += came
        if was and now:
            old_purl, new_purl = next(iter(was)), next(iter(now))
            origin_changes += _origin_changes(
                ident, new_purl, old_origins.get(old_purl), new_origins.get(new_purl)
            )
    old_findings = _findings(old)
    new_findings = _findings(new)
    return ScanDiff(
        old_id=old.id if old is not None else None,
        new_id=new.id,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        origin_changes=tuple(origin_changes),
        new_findings=tuple(f for k, f in new_findings.items() if k not in old_findings),
        resolved_findings=tuple(f for k, f in old_findings.items() if k not in new_findings),
    )


def _by_identity(scan: Scan | None) -> dict[str, dict[str, ComponentRef]]:
    """identity -> purl -> component, first occurrence of a purl wins."""
    grouped: dict[str, dict[str, ComponentRef]] = {}
    if scan is None:
        return grouped
    for c in scan.components:
        grouped.setdefault(identity(c.purl), {}).setdefault(
            c.purl, ComponentRef(c.purl, c.name, c.version)
        )
    return grouped


def _origin_changes(
    ident: str, purl: str, old: Origin | None, new: Origin | None
) -> list[OriginChange]:
    found = []
    for name in ORIGIN_FIELDS:
        a = getattr(old, name, None) if old is not None else None
        b = getattr(new, name, None) if new is not None else None
        old_value = a.value if a is not None else None
        new_value = b.value if b is not None else None
        if old_value != new_value:
            found.append(OriginChange(ident, purl, name, old_value, new_value))
    return found


def _findings(scan: Scan | None) -> dict[tuple[str, str], FindingRef]:
    """(rule, identity) -> the first such finding, in scan order."""
    keyed: dict[tuple[str, str], FindingRef] = {}
    for f in scan.findings if scan is not None else ():
        keyed.setdefault((f.rule, identity(f.purl)), _ref(f))
    return keyed


def _ref(f: Finding) -> FindingRef:
    return FindingRef(f.rule, f.severity.value, f.action.value, f.purl, f.message, f.waived)
