"""Why origins are not known, grouped: the one count of unresolved origins every view gives.

A component's origin is *unresolved* when its status is anything but `resolved` (`unknown`,
`unreachable`, `skipped`) or no origin was recorded. Those are grouped by status, the
registry the purl type is asked of, and the reason with its retry count left out (`HTTP 503
after 3 attempt(s)` and `… after 1 attempt(s)` are one reason), so a scan whose Hub was down
reads "15 models: Hub unreachable (ConnectError)" rather than fifteen lines. The HTML and
Markdown reports print these groups; their sum is the count they show.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from auditor.model import ComponentKind, OriginStatus, Scan

REGISTRIES = {
    "pypi": "PyPI",
    "npm": "npm",
    "huggingface": "Hub",
    "modelscope": "ModelScope",
    "github": "GitHub",
    "oci": "image registry",
    "docker": "image registry",
}
"""purl type -> the registry its origins are asked of, as a reader calls it."""

PLURALS = {
    ComponentKind.LIBRARY: "libraries",
    ComponentKind.APPLICATION: "applications",
}

_ATTEMPTS = re.compile(r"\s+after \d+ attempt\(s\)$")


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Components whose origin is not known for one reason."""

    status: str
    """`unknown`, `unreachable`, `skipped` or `not recorded`."""
    registry: str
    reason: str
    kinds: tuple[tuple[str, int], ...]
    """(kind, how many), most first."""
    purls: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many components are in the group."""
        return len(self.purls)

    def text(self) -> str:
        """`15 models: Hub unreachable (ConnectError)`: one line for a reader."""
        what = ", ".join(f"{n} {noun(kind, n)}" for kind, n in self.kinds)
        return f"{what}: {self.registry} {self.status} ({self.reason})"


def noun(kind: str, n: int) -> str:
    """`model`, `models`, `library`, `libraries` …"""
    if n == 1:
        return kind
    try:
        return PLURALS.get(ComponentKind(kind), f"{kind}s")
    except ValueError:
        return f"{kind}s"


def registry_of(purl: str) -> str:
    """The registry a purl's origin is asked of (its type when none is named here)."""
    kind = purl[4:].partition("/")[0] if purl.startswith("pkg:") else ""
    return REGISTRIES.get(kind.lower(), kind or "no registry")


def unresolved_groups(scan: Scan) -> tuple[Unresolved, ...]:
    """Every component whose origin is not resolved, grouped by status, registry and reason,
    largest group first (ties in status, registry, reason order)."""
    origins = scan.origins_by_purl()
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for c in scan.components:
        o = origins.get(c.purl)
        if o is not None and o.status is OriginStatus.RESOLVED:
            continue
        status = o.status.value if o is not None else "not recorded"
        reason = _ATTEMPTS.sub("", (o.reason if o is not None else None) or "no reason recorded")
        key = (status, registry_of(c.purl), reason)
        groups.setdefault(key, []).append((c.kind.value, c.purl))
    out = [
        Unresolved(
            status,
            registry,
            reason,
            tuple(Counter(kind for kind, _ in members).most_common()),
            tuple(purl for _, purl in members),
        )
        for (status, registry, reason), members in groups.items()
    ]
    return tuple(sorted(out, key=lambda g: (-g.count, g.status, g.registry, g.reason)))
