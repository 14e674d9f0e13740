"""Template-shaped formats: a jinja2 template in templates/ plus one registry line."""

from __future__ import annotations

import re
from typing import ClassVar

from auditor.model import Scan
from auditor.render import Renderer

# Only characters that mean something mid-line: values never start a line in our templates,
# so `.`, `-`, `+` and `#` (list and heading markers) can stay readable.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|<>~])")


def markdown_escape(text: object) -> str:
    """Package metadata is attacker-controlled: neutralise Markdown and HTML in it."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat).replace("&", "&amp;")


class TemplateRenderer(Renderer):
    """Renders `templates/<template>` with the scan and its JSON document."""

    name: ClassVar[str] = "template"

    def __init__(self, name: str, template: str) -> None:
        # `name` is per instance here: one class serves every template-shaped format.
        self.name = name  # type: ignore[misc]
        self.template = template

    def render(self, scan: Scan) -> str:
        """jinja2 with StrictUndefined; HTML templates autoescape."""
        import jinja2  # imported on use: ~70 ms that table and json output never pay

        from auditor.config import data_path
        from auditor.render.json import scan_document

        env = jinja2.Environment(
            loader=jinja2.FunctionLoader(
                lambda name: (data_path("templates") / name).read_text(encoding="utf-8")
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html", "html.j2"]),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["md"] = markdown_escape
        return env.get_template(self.template).render(scan=scan, doc=scan_document(scan))
