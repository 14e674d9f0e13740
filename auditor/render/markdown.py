"""`--format markdown`: a pull-request comment (GitHub caps a comment at 65,536 characters).

Summary first, then findings highest severity first (waived ones last), the origin roll-up,
the AI services called (auditor/render/services_view.py), and the inventory in collapsible
`<details>`. When the whole text would pass `MAX_CHARS`
the lists are cut to the longest length that fits, each with a "truncated: N more rows"
note, so the comment is always postable and says what it left out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from auditor.graph.trace import Tracer
from auditor.model import Scan, Severity
from auditor.render.answer import answer
from auditor.render.rollup import origin_rollup
from auditor.render.services_view import service_rows
from auditor.render.template import TemplateRenderer, markdown_escape

MAX_CHARS = 65_000
TEMPLATE = "report.md.j2"
TOP_VALUES = 10
"""Facet values shown per roll-up facet; the rest are counted."""


class MarkdownRenderer(TemplateRenderer):
    """Renders `templates/report.md.j2` with the scan, its JSON document and its roll-up."""

    name: ClassVar[str] = "markdown"

    def __init__(self, max_chars: int = MAX_CHARS, min_severity: Severity = Severity.LOW) -> None:
        super().__init__(self.name, TEMPLATE)
        self.max_chars = max_chars
        self.min_severity = min_severity
        """Findings below it are counted, not listed (`--min-severity`)."""

    def listing(self, min_severity: Severity) -> MarkdownRenderer:
        """The comment listing findings from `min_severity` up."""
        return MarkdownRenderer(self.max_chars, min_severity)

    def render(self, scan: Scan) -> str:
        """The comment, every list complete when it fits, else cut to the longest that does."""
        import jinja2  # imported on use, as in TemplateRenderer

        from auditor.config import data_path
        from auditor.render.json import scan_document

        env = jinja2.Environment(
            loader=jinja2.FunctionLoader(
                lambda name: (data_path("templates") / name).read_text(encoding="utf-8")
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # Markdown: every metadata value goes through `md` instead
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["md"] = markdown_escape
        template = env.get_template(self.template)
        doc = scan_document(scan)
        floor = self.min_severity.rank
        tracer = Tracer(scan)
        rollup = origin_rollup(scan, tracer)
        context: dict[str, Any] = {
            "scan": scan,
            "doc": doc,
            "findings": sorted(
                (f for f in doc["findings"] if Severity(f["severity"]).rank >= floor),
                key=lambda f: (f["waived"], -Severity(f["severity"]).rank),
            ),
            "hidden": sum(Severity(f["severity"]).rank < floor for f in doc["findings"]),
            "open_count": sum(not f["waived"] for f in doc["findings"]),
            "waived_count": sum(bool(f["waived"]) for f in doc["findings"]),
            "min_severity": self.min_severity.value,
            "rollup": rollup,
            "answer": answer(scan, tracer, rollup),
            "services": service_rows(scan, tracer),
            "top": TOP_VALUES,
        }
        longest = max(len(doc["findings"]), len(doc["components"]), len(doc["diagnostics"]))
        text = template.render(context, limit=longest)
        if len(text) <= self.max_chars:
            return text
        # Binary search for the largest per-list row limit that fits.
        low, high = 0, longest
        while low < high:
            middle = (low + high + 1) // 2
            if len(template.render(context, limit=middle)) <= self.max_chars:
                low = middle
            else:
                high = middle - 1
        text = template.render(context, limit=low)
        if len(text) > self.max_chars:  # even the bare summary is too long: cut it, say so
            note = "\n\n_truncated: the comment was cut at its length limit_\n"
            text = text[: self.max_chars - len(note)] + note
        return text
