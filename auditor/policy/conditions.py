"""The condition language's parser and its combinators (`all`, `any`, `not`).

A condition is YAML data, never code: a mapping with exactly one keyword from PREDICATES.
Parsing checks every name, operator and regex up front (PolicyError with file:line), so
evaluation only compares values and cannot fail on a rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.policy import Predicate
from auditor.policy.yamlnodes import Y

if TYPE_CHECKING:
    from auditor.policy.subject import Subject

MAX_DEPTH = 64


def parse_condition(node: Y, depth: int = 0) -> Predicate:
    """The predicate tree for `node`; PolicyError when it is not a valid condition."""
    from auditor.policy import PREDICATES

    if depth > MAX_DEPTH:
        raise node.error(f"condition nested more than {MAX_DEPTH} levels")
    if not isinstance(node.value, dict):
        raise node.error("a condition is a mapping such as {fact: origin.status, eq: unknown}")
    keywords = [p for p in PREDICATES if p.keyword in node.value]
    if len(keywords) != 1:
        names = ", ".join(p.keyword for p in PREDICATES)
        found = ", ".join(p.keyword for p in keywords) or "none"
        raise node.error(f"a condition needs exactly one of: {names} (found {found})")
    kind = keywords[0]
    if kind in (AllOf, AnyOf, Not):
        return kind(node, depth)
    return kind(node)


def _only(node: Y, allowed: set[str]) -> dict[str, Y]:
    assert isinstance(node.value, dict)
    for key, value in node.value.items():
        if key not in allowed:
            raise value.error(
                f"unexpected key {key!r} here (allowed: {', '.join(sorted(allowed))})"
            )
    return node.value


class _Combinator(Predicate):
    def __init__(self, node: Y, depth: int = 0) -> None:
        super().__init__(node)
        arg = _only(node, {self.keyword})[self.keyword]
        if not isinstance(arg.value, list) or not arg.value:
            raise arg.error(f"{self.keyword}: needs a non-empty list of conditions")
        self.parts = tuple(parse_condition(item, depth + 1) for item in arg.value)

    def children(self) -> tuple[Predicate, ...]:
        return self.parts


class AllOf(_Combinator):
    """`all: [c1, c2 …]`: every condition holds."""

    keyword = "all"

    def test(self, subject: Subject) -> bool:
        return all(p.test(subject) for p in self.parts)


class AnyOf(_Combinator):
    """`any: [c1, c2 …]`: at least one condition holds."""

    keyword = "any"

    def test(self, subject: Subject) -> bool:
        return any(p.test(subject) for p in self.parts)


class Not(Predicate):
    """`not: c`: the condition does not hold."""

    keyword = "not"

    def __init__(self, node: Y, depth: int = 0) -> None:
        super().__init__(node)
        self.part = parse_condition(_only(node, {"not"})["not"], depth + 1)

    def test(self, subject: Subject) -> bool:
        return not self.part.test(subject)

    def children(self) -> tuple[Predicate, ...]:
        return (self.part,)
