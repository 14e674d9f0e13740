"""Scan -> text, one Renderer per format, registered in RENDERERS."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from auditor.errors import UsageError
from auditor.model import Scan, Severity


class Renderer(ABC):
    """Turns a scan into one output format."""

    name: ClassVar[str]

    @abstractmethod
    def render(self, scan: Scan) -> str:
        """The whole document as text."""

    def listing(self, min_severity: Severity) -> Renderer:
        """This renderer listing only findings at or above `min_severity` (the rest counted).
        Only formats a person reads (table, Markdown) filter: the machine formats (JSON,
        SARIF, SBOMs) carry every finding, so a filter never changes what tools gate on."""
        return self


def renderer(name: str, min_severity: Severity | None = None) -> Renderer:
    """The renderer registered for a format name (listing from `min_severity` up, where it
    lists findings for people)."""
    for candidate in RENDERERS:
        if candidate.name == name:
            return candidate if min_severity is None else candidate.listing(min_severity)
    known = ", ".join(r.name for r in RENDERERS)
    raise UsageError(f"--format {name}: unknown format", hint=f"use one of: {known}")


# The registry sits below the interface it registers because its modules import it.
from auditor.render.cyclonedx import CycloneDxRenderer  # noqa: E402
from auditor.render.json import JsonRenderer  # noqa: E402
from auditor.render.markdown import MarkdownRenderer  # noqa: E402
from auditor.render.sarif import SarifRenderer  # noqa: E402
from auditor.render.spdx import SpdxRenderer  # noqa: E402
from auditor.render.table import TableRenderer  # noqa: E402
from auditor.render.template import TemplateRenderer as TemplateRenderer  # noqa: E402

RENDERERS: tuple[Renderer, ...] = (
    TableRenderer(),
    JsonRenderer(),
    CycloneDxRenderer(),
    MarkdownRenderer(),
    SarifRenderer(),
    SpdxRenderer(),
    TemplateRenderer("html", "report.html.j2"),
)
"""Every output format; the first is the default."""

FORMAT_NAMES: tuple[str, ...] = tuple(r.name for r in RENDERERS)
