"""What a parser, collector or SBOM reader hands the pipeline: components, edges, findings and
diagnostics. Its own module, below both `auditor.collectors` and `auditor.sbom`, so the SBOM
model's conversion (`auditor.sbom.collect`) and the file parsers that call it import one way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.errors import Diagnostic
from auditor.model import Component, Dependency, Finding


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
