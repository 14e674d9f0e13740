"""component -> Origin (+ findings), one Resolver per registry, registered in RESOLVERS."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from auditor.hashing import KnownFile
from auditor.model import Component, Dependency, Finding, Origin

if TYPE_CHECKING:
    from auditor.http import Http


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a resolver concluded about one component."""

    origin: Origin
    findings: tuple[Finding, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    """Edges the registry asserts (a model's `derived_from` lineage), added to the scan's."""
    known_files: tuple[KnownFile, ...] = ()
    """File digests the registry's answer listed (the Hub's siblings), for the hash index."""


class Resolver(ABC):
    """Asks one registry or hub where components of its ecosystems come from."""

    name: ClassVar[str]
    ecosystems: ClassVar[frozenset[str]]
    """purl types this resolver answers for."""

    def __init__(self, http: Http, sigstore_trust: Path | None = None) -> None:
        self.http = http
        self.sigstore_trust = sigstore_trust
        """The user's Sigstore trust config for provenance bundles; None: the public root."""

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """(role, path) requests `resolve` will make first, so the engine can load their
        cached answers in one batch; optional, () means no hint."""
        return ()

    @abstractmethod
    def resolve(self, component: Component) -> Resolution:
        """The origin. Registry trouble raises FetchError / NotCached (the engine maps them
        to `unreachable` / `skipped`); an answer that the thing does not exist is `unknown`."""


# The registry sits below the interface it registers because its modules import it.
from auditor.resolvers.ai_service import AiServiceResolver  # noqa: E402
from auditor.resolvers.depsdev import DepsDevResolver  # noqa: E402
from auditor.resolvers.github import GitHubResolver  # noqa: E402
from auditor.resolvers.github_actions import GitHubActionsResolver  # noqa: E402
from auditor.resolvers.gitlab import GitLabResolver  # noqa: E402
from auditor.resolvers.huggingface import HuggingFaceResolver  # noqa: E402
from auditor.resolvers.npm import NpmResolver  # noqa: E402
from auditor.resolvers.pypi import PyPIResolver  # noqa: E402

RESOLVERS: tuple[type[Resolver], ...] = (
    PyPIResolver,
    NpmResolver,
    GitHubResolver,
    GitHubActionsResolver,
    GitLabResolver,
    DepsDevResolver,
    HuggingFaceResolver,
    AiServiceResolver,
)
"""Registry resolvers, instantiated per scan with that scan's Http."""
