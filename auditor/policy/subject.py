"""What a condition is evaluated on: one component, its origin, and the scan around it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from auditor.model import Component, Origin

if TYPE_CHECKING:
    from auditor.graph import ProvenanceGraph

Value = str | int | float | bool | None
"""A fact's value when it has one."""
Fact = Value | tuple[Value, ...]
"""Facts about lists (conflicts, roots' countries) are tuples."""


def versionless(purl: str) -> str:
    """`pkg:pypi/requests@2.32.3?x=y` -> `pkg:pypi/requests`: the same package over time."""
    return purl.partition("?")[0].partition("#")[0].partition("@")[0]


class Context:
    """The scan-wide facts every rule may consult; the graph is built only if a rule asks."""

    def __init__(
        self,
        names: Mapping[str, object],
        today: date,
        previous: Mapping[str, Origin] | None = None,
        graph: Callable[[], ProvenanceGraph] | None = None,
        findings: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.names = names
        """`$name` values: configured lists (vetted_publishers …) and settings."""
        self.today = today
        self.previous = previous or {}
        """Origins of the previous scan of the same target, by versionless purl."""
        self._graph = graph
        self.findings = findings or {}
        """Rule ids collectors and resolvers reported, by purl."""
        self._sets: dict[str, frozenset[str]] = {}
        self._squats: dict[str, str | None] = {}

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
        from auditor.policy.typosquat import near_miss

        eco = component.purl[4:].partition("/")[0]
        key = f"{eco}/{component.name}"
        if key not in self._squats:
            distance = self.names.get("typosquat_distance", 1)
            limit = distance if isinstance(distance, int) and not isinstance(distance, bool) else 1
            self._squats[key] = near_miss(eco, component.name, limit)
        return self._squats[key]

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
        evidence = self.origin.evidence if self.origin is not None else ()
        times = [e.value for e in evidence if e.field == "upload_time"]
        if not times:
            return None
        try:
            uploaded = datetime.fromisoformat(min(times).replace("Z", "+00:00"))
        except ValueError:
            return None
        if uploaded.tzinfo is None:
            uploaded = uploaded.replace(tzinfo=UTC)
        return (self.context.today - uploaded.astimezone(UTC).date()).days
