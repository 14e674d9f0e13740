"""The leaf conditions: facts compared with values, and questions about origin and graph.

Values may be literals or `$name` references to the policy's lists and settings
(`$vetted_publishers`, `$review_countries`, `$young_release_days` …), resolved when a scan
is evaluated. Text compares without regard to case. An unknown value (None) never equals,
matches or is in anything; only `exists: false` holds for it.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

from auditor.model import Strength
from auditor.policy import Predicate
from auditor.policy.facts import FACTS
from auditor.policy.subject import Fact, Subject, Value, versionless
from auditor.policy.yamlnodes import Y

if TYPE_CHECKING:
    from auditor.policy.subject import Context

NAME = re.compile(r"\$([a-z][a-z0-9_]*)")
COMPARISONS = ("eq", "ne", "in", "not_in", "matches", "lt", "le", "gt", "ge", "exists")
ORIGIN_FACETS = ("publisher", "repository", "organisation", "country")


class Operand:
    """A literal (scalar or list) or a `$name` reference, as the rule wrote it."""

    __slots__ = ("folded", "items", "name", "node")

    def __init__(self, node: Y, want_list: bool) -> None:
        self.node = node
        self.name: str | None = None
        self.items: tuple[Value, ...] = ()
        raw = node.value
        if isinstance(raw, str) and raw.startswith("$"):
            match = NAME.fullmatch(raw)
            if match is None:
                raise node.error(f"{raw!r}: a reference is $ and a lower-case name")
            self.name = match.group(1)
        elif isinstance(raw, list):
            if not want_list:
                raise node.error("expected one value here, not a list")
            for item in raw:
                if isinstance(item.value, list | dict):
                    raise item.error("list items must be plain values")
            self.items = tuple(item.value for item in raw)  # type: ignore[misc]
        elif isinstance(raw, dict):
            raise node.error("expected a value or a list of values, not a mapping")
        else:
            self.items = (raw,)
        self.folded = frozenset(_fold(v) for v in self.items if v is not None)

    def texts(self, context: Context) -> frozenset[str]:
        """The values as case-folded text."""
        if self.name is not None:
            return context.text_set(self.name)
        return self.folded

    def number(self, context: Context) -> float | None:
        """The value as a number (None when it is not one)."""
        value = context.names.get(self.name) if self.name is not None else self.items[0]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)


def _fold(value: object) -> str:
    if type(value) is str:
        return value.casefold()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


def _mapping(node: Y) -> dict[str, Y]:
    assert isinstance(node.value, dict)
    return node.value


def _check_keys(node: Y, allowed: set[str]) -> dict[str, Y]:
    found = _mapping(node)
    for key, value in found.items():
        if key not in allowed:
            raise value.error(
                f"unexpected key {key!r} here (allowed: {', '.join(sorted(allowed))})"
            )
    return found


def _as_tuple(value: Fact) -> tuple[Value, ...]:
    if isinstance(value, tuple):
        return value
    return () if value is None else (value,)


class FactTest(Predicate):
    """`{fact: NAME, OP: VALUE}`: OP is one of eq, ne, in, not_in, matches, lt, le, gt, ge,
    exists. A list fact satisfies eq/in/matches/comparisons when any item does, and ne/not_in
    when no item is equal/in."""

    keyword = "fact"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        found = _check_keys(node, {"fact", *COMPARISONS})
        name = found["fact"]
        if not isinstance(name.value, str) or name.value not in FACTS:
            raise name.error(f"unknown fact {name.value!r} (known: {', '.join(sorted(FACTS))})")
        self.read = FACTS[name.value]
        ops = [k for k in found if k != "fact"]
        if len(ops) != 1:
            raise node.error(f"give exactly one of: {', '.join(COMPARISONS)}")
        self.op = ops[0]
        arg = found[self.op]
        self.regex: re.Pattern[str] | None = None
        self.flag: bool | None = None
        if self.op == "exists":
            if not isinstance(arg.value, bool):
                raise arg.error("exists: takes true or false")
            self.flag = arg.value
        elif self.op == "matches":
            if not isinstance(arg.value, str) or len(arg.value) > 1000:
                raise arg.error("matches: takes one regular expression (text, at most 1000)")
            try:
                self.regex = re.compile(arg.value, re.IGNORECASE)
            except (re.error, OverflowError, RecursionError) as exc:
                raise arg.error(f"matches: invalid regular expression: {exc}") from None
        self.operand = Operand(arg, want_list=self.op in ("in", "not_in", "eq", "ne"))
        if self.op in ("lt", "le", "gt", "ge") and self.operand.name is None:
            value = arg.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise arg.error(f"{self.op}: takes a number or a $name")

    def names(self) -> tuple[Operand, ...]:
        return (self.operand,) if self.operand.name is not None else ()

    def test(self, subject: Subject) -> bool:
        raw = self.read(subject)
        op = self.op
        if op == "eq" or op == "in":  # the common case first, with plain loops
            wanted = self.operand.texts(subject.context)
            if type(raw) is str:
                return raw.casefold() in wanted
            for v in raw if isinstance(raw, tuple) else (() if raw is None else (raw,)):
                if _fold(v) in wanted:
                    return True
            return False
        values: tuple[Value, ...] = (
            raw if isinstance(raw, tuple) else (() if raw is None else (raw,))
        )
        if op == "exists":
            return bool(values) is self.flag
        if op == "matches":
            assert self.regex is not None
            return any(self.regex.search(_fold(v)[:10_000]) for v in values)
        if op == "ne" or op == "not_in":
            wanted = self.operand.texts(subject.context)
            return bool(values) and not any(_fold(v) in wanted for v in values)
        limit = self.operand.number(subject.context)
        if limit is None:
            return False
        compare = _COMPARE[op]
        return any(
            compare(float(v), limit)
            for v in values
            if isinstance(v, int | float) and not isinstance(v, bool)
        )


_COMPARE = {"lt": float.__lt__, "le": float.__le__, "gt": float.__gt__, "ge": float.__ge__}


class _Globs(Predicate):
    """A purl glob or a list of them (`pkg:huggingface/meta-llama/*`)."""

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        arg = _check_keys(node, {self.keyword})[self.keyword]
        operand = Operand(arg, want_list=True)
        if operand.name is not None or not operand.items:
            raise arg.error(f"{self.keyword}: takes a purl pattern or a list of them")
        if not all(isinstance(p, str) for p in operand.items):
            raise arg.error(f"{self.keyword}: patterns are text")
        self.patterns = tuple(
            re.compile(fnmatch.translate(str(p).casefold())) for p in operand.items
        )

    def hit(self, purls: tuple[str, ...]) -> bool:
        return any(p.match(purl.casefold()) for purl in purls for p in self.patterns)


class DerivesFrom(_Globs):
    """`{derives_from: PATTERN}`: a model whose lineage (any depth) reaches a match."""

    keyword = "derives_from"
    uses_graph = True

    def test(self, subject: Subject) -> bool:
        roots = tuple(r.purl for r in subject.origin.roots) if subject.origin else ()
        graph = subject.context.graph
        lineage = graph.reachable(subject.component.purl, "derived_from") if graph else ()
        return self.hit(roots + lineage)


class DependsOn(_Globs):
    """`{depends_on: PATTERN}`: a component that needs a match, directly or transitively."""

    keyword = "depends_on"
    uses_graph = True

    def test(self, subject: Subject) -> bool:
        graph = subject.context.graph
        return graph is not None and self.hit(graph.reachable(subject.component.purl, "depends_on"))


class TracesTo(Predicate):
    """`{traces_to: {country: LIST, organisation: LIST, publisher: LIST}}`: the component's
    own origin or any of its lineage roots (Origin.roots) has one of those values."""

    keyword = "traces_to"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        arg = _check_keys(node, {"traces_to"})["traces_to"]
        if not isinstance(arg.value, dict) or not arg.value:
            raise arg.error(
                "traces_to: takes a mapping of country/organisation/publisher to values"
            )
        facets = _check_keys(arg, {"country", "organisation", "publisher"})
        self.facets = tuple((facet, Operand(v, want_list=True)) for facet, v in facets.items())

    def names(self) -> tuple[Operand, ...]:
        return tuple(op for _, op in self.facets if op.name is not None)

    def test(self, subject: Subject) -> bool:
        origin = subject.origin
        if origin is None:
            return False
        for facet, operand in self.facets:
            wanted = operand.texts(subject.context)
            if not wanted:
                continue
            claim = getattr(origin, facet)
            values = [claim.value] if claim is not None else []
            for root in origin.roots:
                if facet == "publisher":
                    values.append(_namespace(root.purl))
                else:
                    values.append(getattr(root, facet) or "")
            if any(v.casefold() in wanted for v in values if v):
                return True
        return False


def _namespace(purl: str) -> str:
    parts = versionless(purl)[4:].split("/")
    return "/".join(parts[1:-1])


class StrengthAtLeast(Predicate):
    """`{strength: FACET, at_least: attested|registry|declared|inferred}`: the origin's claim
    for FACET exists and its strongest support is at least that strong."""

    keyword = "strength"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        found = _check_keys(node, {"strength", "at_least"})
        facet, level = found["strength"], found.get("at_least")
        if facet.value not in ORIGIN_FACETS:
            raise facet.error(f"strength: one of {', '.join(ORIGIN_FACETS)}")
        if level is None or level.value not in [s.value for s in Strength]:
            where = level or node
            raise where.error(f"at_least: one of {', '.join(s.value for s in Strength)}")
        self.facet = str(facet.value)
        self.rank = Strength(level.value).rank

    def test(self, subject: Subject) -> bool:
        claim = getattr(subject.origin, self.facet) if subject.origin else None
        return claim is not None and claim.strength.rank >= self.rank


class Changed(Predicate):
    """`{changed: [publisher, repository, organisation, country]}`: compared with the previous
    scan of the same target, one of these went from one known value to another."""

    keyword = "changed"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        arg = _check_keys(node, {"changed"})["changed"]
        operand = Operand(arg, want_list=True)
        bad = [v for v in operand.items if v not in ORIGIN_FACETS]
        if operand.name is not None or not operand.items or bad:
            raise arg.error(f"changed: a list drawn from {', '.join(ORIGIN_FACETS)}")
        self.facets = tuple(str(v) for v in operand.items)

    def test(self, subject: Subject) -> bool:
        return bool(changed_facets(subject, self.facets))


def changed_facets(subject: Subject, facets: tuple[str, ...] = ORIGIN_FACETS) -> tuple[str, ...]:
    """The facets whose known value differs from the previous scan's."""
    previous = subject.context.previous
    now = subject.origin
    if not previous or now is None:
        return ()
    before = previous.get(subject.component.purl)
    if before is None:
        return ()
    out = []
    for facet in facets:
        old, new = getattr(before, facet), getattr(now, facet)
        if old is not None and new is not None and old.value.casefold() != new.value.casefold():
            out.append(facet)
    return tuple(out)


class Vetted(Predicate):
    """`{vetted: true}`: the model, its publisher or organisation, and every lineage root's
    organisation or namespace are on `vetted_models` / `vetted_publishers`."""

    keyword = "vetted"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        arg = _check_keys(node, {"vetted"})["vetted"]
        if not isinstance(arg.value, bool):
            raise arg.error("vetted: takes true or false")
        self.want = arg.value

    def test(self, subject: Subject) -> bool:
        from auditor.policy.vetting import is_vetted

        ctx = subject.context
        vetted = is_vetted(
            subject.component,
            subject.origin,
            ctx.text_set("vetted_publishers"),
            ctx.text_set("vetted_models"),
        )
        return vetted is self.want


class Typosquat(Predicate):
    """`{typosquat: true}`: a PyPI or npm name within `$typosquat_distance` edits of one of
    the most-downloaded names (rules/data/popular-*.txt) without being one of them."""

    keyword = "typosquat"

    def __init__(self, node: Y) -> None:
        super().__init__(node)
        arg = _check_keys(node, {"typosquat"})["typosquat"]
        if not isinstance(arg.value, bool):
            raise arg.error("typosquat: takes true or false")
        self.want = arg.value

    def test(self, subject: Subject) -> bool:
        return (subject.context.typosquat_of(subject.component) is not None) is self.want


class HasFinding(_Globs):
    """`{finding: PATTERN}`: a collector or resolver reported a matching rule id (say
    `weights.unsafe-pickle`) on this component."""

    keyword = "finding"

    def test(self, subject: Subject) -> bool:
        return self.hit(subject.context.findings.get(subject.component.purl, ()))
