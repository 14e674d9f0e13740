"""Policy: rules as data (rules/*.yaml), the built-in rules made configurable, waivers,
vulnerabilities and gating.

A rule's `when` is a tree of predicates (the condition language, docs/rules.md). Each
predicate kind is one class with one abstract method, registered in PREDICATES below; the
parser (conditions.py) picks the class by the keyword a YAML mapping carries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from auditor.policy.predicates import Operand
    from auditor.policy.subject import Subject
    from auditor.policy.yamlnodes import Y


class Predicate(ABC):
    """One kind of condition: built from its YAML mapping, tested on one component."""

    keyword: ClassVar[str]
    """The mapping key that selects this kind (`fact`, `all`, `traces_to` …)."""
    uses_graph: ClassVar[bool] = False
    """True when `test` needs the provenance graph (so it is built only when needed)."""

    def __init__(self, node: Y) -> None:
        """Parse `node` (the whole mapping); PolicyError naming file:line when malformed."""
        self.node = node

    @abstractmethod
    def test(self, subject: Subject) -> bool:
        """Whether the component satisfies the condition; never raises on odd data."""

    def children(self) -> tuple[Predicate, ...]:
        """Nested conditions (combinators); lets the engine ask what a rule needs."""
        return ()

    def names(self) -> tuple[Operand, ...]:
        """The `$name` references it makes, checked against the policy's names."""
        return ()


# The registry sits below the interface it registers because its modules import it.
from auditor.policy.conditions import AllOf, AnyOf, Not  # noqa: E402
from auditor.policy.predicates import (  # noqa: E402
    Changed,
    DependsOn,
    DerivesFrom,
    FactTest,
    HasFinding,
    StrengthAtLeast,
    TracesTo,
    Typosquat,
    Vetted,
)
from auditor.policy.service_vetting import ServiceVetted  # noqa: E402

PREDICATES: tuple[type[Predicate], ...] = (
    AllOf,
    AnyOf,
    Not,
    FactTest,
    DerivesFrom,
    DependsOn,
    TracesTo,
    StrengthAtLeast,
    Changed,
    Vetted,
    ServiceVetted,
    Typosquat,
    HasFinding,
)
"""Every condition kind; a YAML mapping must carry exactly one of their keywords."""
