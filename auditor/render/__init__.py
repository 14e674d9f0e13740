"""Scan -> text, one Renderer per format, registered in RENDERERS."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import import_module
from typing import ClassVar

from auditor.errors import UsageError
from auditor.model import Scan, Severity


class Renderer(ABC):
    """Turns a scan into one output format."""

    name: ClassVar[str]

    @abstractmethod
    def render(self, scan: Scan) -> str:
        """The whole document as text."""

    def notices(self, scan: Scan) -> tuple[str, ...]:
        """What the user should hear (on stderr) about this rendering of `scan`: an SBOM
        format asked of a scan of one SBOM it could not write back says why."""
        return ()

    def listing(self, min_severity: Severity) -> Renderer:
        """This renderer listing only findings at or above `min_severity` (the rest counted).
        Only formats a person reads (table, Markdown) filter: the machine formats (JSON,
        SARIF, SBOMs) carry every finding, so a filter never changes what tools gate on."""
        return self


@dataclass(frozen=True, slots=True)
class Registered:
    """A registry line: a format's name and where its renderer lives, imported only when
    that format is asked for (a scan imports one renderer, not seven)."""

    name: str
    target: str
    """`module:Class` inside this package."""
    template: str | None = None
    """For `template:TemplateRenderer`: the template under templates/."""

    def load(self) -> Renderer:
        """The renderer (its module imported on first use)."""
        module, _, cls = self.target.partition(":")
        made = getattr(import_module(f"{__name__}.{module}"), cls)
        found = made(self.name, self.template) if self.template is not None else made()
        assert isinstance(found, Renderer) and found.name == self.name
        return found

    def render(self, scan: Scan) -> str:
        """`load().render(scan)`."""
        return self.load().render(scan)


def renderer(name: str, min_severity: Severity | None = None) -> Renderer:
    """The renderer registered for a format name (listing from `min_severity` up, where it
    lists findings for people)."""
    for candidate in RENDERERS:
        if candidate.name == name:
            found = candidate.load()
            return found if min_severity is None else found.listing(min_severity)
    known = ", ".join(r.name for r in RENDERERS)
    raise UsageError(f"--format {name}: unknown format", hint=f"use one of: {known}")


RENDERERS: tuple[Registered, ...] = (
    Registered("table", "table:TableRenderer"),
    Registered("json", "json:JsonRenderer"),
    Registered("cyclonedx", "cyclonedx:CycloneDxRenderer"),
    Registered("markdown", "markdown:MarkdownRenderer"),
    Registered("sarif", "sarif:SarifRenderer"),
    Registered("spdx", "spdx:SpdxRenderer"),
    Registered("spdx3", "spdx3:Spdx3Renderer"),
    Registered("html", "template:TemplateRenderer", "report.html.j2"),
    Registered("attestation", "attestation:AttestationRenderer", "attestation.html.j2"),
)
"""Every output format; the first is the default."""

FORMAT_NAMES: tuple[str, ...] = tuple(r.name for r in RENDERERS)
