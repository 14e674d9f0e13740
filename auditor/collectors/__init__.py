"""WHAT bytes mean: one Collector per kind of thing, registered in COLLECTORS.

A collector turns a Tree into components, dependency edges, findings and diagnostics. It
never raises for a bad discovered file: that becomes a Diagnostic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from auditor.errors import Diagnostic
from auditor.hashing import Hasher
from auditor.model import Component, Dependency, Finding
from auditor.signatures import SignatureTrust
from auditor.sources import Tree


@dataclass(frozen=True, slots=True)
class Collected:
    """What one parser or collector found."""

    components: tuple[Component, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @staticmethod
    def merge(parts: Iterable[Collected]) -> Collected:
        """Concatenate results (duplicates are folded later, by the pipeline)."""
        parts = tuple(parts)
        return Collected(
            components=tuple(c for p in parts for c in p.components),
            dependencies=tuple(d for p in parts for d in p.dependencies),
            findings=tuple(f for p in parts for f in p.findings),
            diagnostics=tuple(d for p in parts for d in p.diagnostics),
        )


@dataclass(frozen=True, slots=True)
class CollectContext:
    """What a scan tells every collector beyond the tree itself."""

    verify: bool = True
    """False with `--no-verify`: file contents are not hashed against their names/records."""
    hasher: Hasher = field(default_factory=Hasher)
    signatures: SignatureTrust = field(default_factory=SignatureTrust)
    """Keys, certificate chains and identities a model or image signature may chain to."""


class Collector(ABC):
    """Reads one kind of thing from a tree."""

    name: ClassVar[str]

    @abstractmethod
    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Everything of this collector's kind in `tree`."""


# The registry sits below the interface it registers because its modules import it.
from auditor.collectors.container_images import ContainerImagesCollector  # noqa: E402
from auditor.collectors.github_actions import GitHubActionsCollector  # noqa: E402
from auditor.collectors.gitlab_ci import GitLabCiCollector  # noqa: E402
from auditor.collectors.hf_cache import HuggingFaceCacheCollector  # noqa: E402
from auditor.collectors.image_signatures import ImageSignatureCollector  # noqa: E402
from auditor.collectors.lockfiles import LockfileCollector  # noqa: E402
from auditor.collectors.model_files import ModelFilesCollector  # noqa: E402
from auditor.collectors.model_refs import ModelRefsCollector  # noqa: E402
from auditor.collectors.model_signatures import ModelSignatureCollector  # noqa: E402
from auditor.collectors.modelscope_cache import ModelScopeCacheCollector  # noqa: E402
from auditor.collectors.node_modules import NodeModulesCollector  # noqa: E402
from auditor.collectors.os_packages import OsPackagesCollector  # noqa: E402
from auditor.collectors.python_env import PythonEnvironmentCollector  # noqa: E402

COLLECTORS: tuple[Collector, ...] = (
    LockfileCollector(),
    PythonEnvironmentCollector(),
    NodeModulesCollector(),
    OsPackagesCollector(),
    HuggingFaceCacheCollector(),
    ModelScopeCacheCollector(),
    ModelFilesCollector(),
    ModelRefsCollector(),
    GitHubActionsCollector(),
    GitLabCiCollector(),
    ContainerImagesCollector(),
    # Last: a model's own collector (hf_cache, model_files) names the component first.
    ModelSignatureCollector(),
    ImageSignatureCollector(),
)
"""Every collector, in the order they run."""
