"""What a condition is evaluated on: one component, its origin, and the scan around it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from auditor.model import Component, Origin, Strength

if TYPE_CHECKING:
    from auditor.graph import ProvenanceGraph
    from auditor.policy.typosquat_score import Squat

Value = str | int | float | bool | None
"""A fact's value when it has one."""
Fact = Value | tuple[Value, ...]
"""Facts about lists (conflicts, roots' countries) are tuples."""


def versionless(purl: str) -> str:
    """`pkg:pypi/requests@2.32.3?x=y` -> `pkg:pypi/requests`: the same package over time."""
    at = purl.find("@")  # `@` in a namespace or name is percent-encoded in a purl
    if at >= 0:
        return purl[:at]
    return purl.partition("?")[0].partition("#")[0]


class Context:
    """The scan-wide facts every rule may consult; the graph is built only if a rule asks."""

    def __init__(
        self,
        names: Mapping[str, object],
        today: date,
        previous: Mapping[str, Origin] | None = None,
        graph: Callable[[], ProvenanceGraph] | None = None,
        findings: Mapping[str, tuple[str, ...]] | None = None,
        origins: Mapping[str, Origin] | None = None,
    ) -> None:
        self.names = names
        """`$name` values: configured lists (vetted_publishers …) and settings."""
        self.today = today
        self.previous = previous or {}
        """Origins of the previous scan of the same target, by the purl of the component in
        this scan they are compared with (`previous_by_purl`)."""
        self._graph = graph
        self.findings = findings or {}
        """Rule ids collectors and resolvers reported, by purl."""
        self._sets: dict[str, frozenset[str]] = {}
        self._squats: dict[str, str | None] = {}
        self._scores: dict[str, Squat | None] = {}
        self.origins = origins or {}
        """Every origin of the scan, by purl (a typosquat candidate's peers)."""
        self._peers: dict[str, frozenset[str]] | None = None

    def text_set(self, name: str) -> frozenset[str]:
        """The `$name` list as case-folded text (empty when unset), computed once."""
        found = self._sets.get(name)
        if found is None:
            raw = self.names.get(name)
            items = raw if isinstance(raw, list | tuple | set | frozenset) else [raw]
            found = self._sets[name] = frozenset(
                str(v).casefold() for v in items if v is not None and v != ""
            )
        return found

    def typosquat_of(self, component: Component) -> str | None:
        """The popular name `component`'s name is a near miss of, if any (memoised)."""
        from auditor.policy.typosquat import affix_miss, near_miss

        purl = component.purl
        key = purl[4 : purl.find("@")] if "@" in purl else purl
        found: str | bool | None = self._squats.get(key, False)
        if found is not False:  # memoised: a name repeats across versions and targets
            return found  # type: ignore[return-value]
        distance = self.names.get("typosquat_distance", 1)
        limit = distance if isinstance(distance, int) and not isinstance(distance, bool) else 1
        ecosystem = purl[4:].partition("/")[0]
        near = near_miss(ecosystem, component.name, limit)
        if near is None and (decorated := affix_miss(ecosystem, component.name)) is not None:
            near = decorated[0]
        self._squats[key] = near
        return near

    def typosquat(self, component: Component, origin: Origin | None) -> Squat | None:
        """The typosquat score of `component` (memoised per purl), None when its name is no
        near miss of a popular one."""
        if component.purl in self._scores:
            return self._scores[component.purl]
        if self.typosquat_of(component) is None:
            self._scores[component.purl] = None
            return None
        from auditor.policy.typosquat_score import score

        distance = self.names.get("typosquat_distance", 1)
        limit = distance if isinstance(distance, int) and not isinstance(distance, bool) else 1
        ecosystem = component.purl[4:].partition("/")[0]
        found = score(ecosystem, component.name, origin, self.today, self._peer_owners, limit)
        self._scores[component.purl] = found
        return found

    def _peer_owners(self, name: str) -> frozenset[str]:
        """Publishers and organisations (registry strength or better) this scan found for
        packages called `name` (in the popular list's normal form)."""
        if self._peers is None:
            from auditor.policy.typosquat import normal

            peers: dict[str, set[str]] = {}
            for purl, origin in self.origins.items():
                eco, _, rest = purl[4:].partition("/")
                key = normal(eco, unquote(versionless(rest)))
                for claim in (origin.publisher, origin.organisation):
                    if claim is not None and claim.strength.rank >= Strength.REGISTRY.rank:
                        peers.setdefault(key, set()).add(claim.value.casefold())
            self._peers = {k: frozenset(v) for k, v in peers.items()}
        return self._peers.get(name, frozenset())

    @cached_property
    def graph(self) -> ProvenanceGraph | None:
        """The provenance graph (built on first use); None when the caller has none."""
        return self._graph() if self._graph is not None else None


class Subject:
    """One component under evaluation."""

    __slots__ = ("component", "context", "origin")

    def __init__(self, component: Component, origin: Origin | None, context: Context) -> None:
        self.component = component
        self.origin = origin
        self.context = context

    def release_age_days(self) -> int | None:
        """Days since the release was uploaded (registry evidence), None when unknown."""
        if self.origin is None:
            return None
        first: str | None = None
        for e in self.origin.evidence:
            if e.field == "upload_time" and (first is None or e.value < first):
                first = e.value
        if first is None:
            return None
        day = _upload_day(first)
        return None if day is None else (self.context.today - day).days


@lru_cache(maxsize=65536)
def _upload_day(stamp: str) -> date | None:
    """The UTC day of an ISO 8601 upload time (memoised: releases share upload days)."""
    try:
        uploaded = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if uploaded.tzinfo is None:
        uploaded = uploaded.replace(tzinfo=UTC)
    return uploaded.astimezone(UTC).date()
