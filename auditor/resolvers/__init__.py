"""component -> Origin + Evidence, one Resolver per registry, registered in RESOLVERS."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from auditor.model import Component, Origin


class Resolver(ABC):
    """Asks one registry or hub where components of its ecosystems come from."""

    name: ClassVar[str]
    ecosystems: ClassVar[frozenset[str]]
    """purl types this resolver answers for."""

    @abstractmethod
    def resolve(self, component: Component) -> Origin:
        """The origin; never raises for registry trouble (that is status `unreachable`)."""


RESOLVERS: tuple[Resolver, ...] = ()
"""Registry resolvers (PyPI, npm, the Hub) land here; until then origins are local only."""
